import type { StoreOpener } from './store-uri.js';

export const openDynamoDb: StoreOpener<'dynamodb'> = async ({ table }) => (await import('./dynamodb.js')).openDynamoDbStore(table);

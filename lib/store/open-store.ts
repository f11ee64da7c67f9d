import { openDynamoDb } from './open-dynamodb.js';
import { openMemory } from './open-memory.js';
import { openSqlite } from './open-sqlite.js';
import { openTablestore } from './open-tablestore.js';
import type { UploadStore } from './port.js';
import { openStoreWith, type OpenStoreOptions, type StoreOpeners } from './store-uri.js';

/** Every store: what the CLI, the local server and tests open. A function bundle names its platform's instead. */
export const EVERY_STORE: StoreOpeners = { memory: openMemory, sqlite: openSqlite, dynamodb: openDynamoDb, tablestore: openTablestore };

/**
 * Open the store an `UPLOAD_STORE` URI names. Each adapter is imported only when chosen, so a process
 * loads one store SDK at most.
 */
export function openStore(uri: string, options: OpenStoreOptions = {}): Promise<UploadStore> {
  return openStoreWith(EVERY_STORE, uri, options);
}

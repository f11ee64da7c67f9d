import type { StoreOpener } from './store-uri.js';

export const openTablestore: StoreOpener<'tablestore'> = async ({ instance, table }, options) =>
  (await import('./tablestore.js')).openTablestoreStore(instance, table, options);

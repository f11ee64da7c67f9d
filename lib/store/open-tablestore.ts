import type { StoreOpener } from './store-uri.js';

/** Records need no SDK; `init` and `list` load the optional peer `tablestore` themselves. */
export const openTablestore: StoreOpener<'tablestore'> = async ({ instance, table }, options) => (await import('./tablestore.js')).openTablestoreStore(instance, table, options);

import { withPeers } from '../peer-package.js';
import type { StoreOpener } from './store-uri.js';

export const openTablestore: StoreOpener<'tablestore'> = async ({ instance, table }, options) =>
  (await withPeers(['tablestore'], 'the tablestore: store', () => import('./tablestore.js'))).openTablestoreStore(instance, table, options);

import { withPeers } from '../peer-package.js';
import type { StoreOpener } from './store-uri.js';

/** Local runs only: better-sqlite3 is a native addon no function bundle carries. */
export const openSqlite: StoreOpener<'sqlite'> = async ({ path }, options) =>
  (await withPeers(['better-sqlite3'], 'the sqlite: store', () => import('./sqlite.js'))).openSqliteStore(path, options);

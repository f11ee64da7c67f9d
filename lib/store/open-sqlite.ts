import type { StoreOpener } from './store-uri.js';

/**
 * Local runs and Node servers: no function bundle carries SQLite. The driver (the runtime's own, or
 * better-sqlite3 on Node 20) loads when the store opens, and says what to install when it is missing.
 */
export const openSqlite: StoreOpener<'sqlite'> = async ({ path }, options) => (await import('./sqlite.js')).openSqliteStore(path, options);

/**
 * @module
 * oss-upload-callback/stores/sqlite: records in a local SQLite file. Needs the optional peer
 * better-sqlite3 (`npm install better-sqlite3`).
 */
export { openSqliteStore } from '../../store/sqlite.js';

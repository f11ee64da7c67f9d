/**
 * @module
 * oss-upload-callback/stores/tablestore: records in an Alibaba Cloud Tablestore table, written and
 * read by the store's own client. `init` and `list` need the optional peer tablestore
 * (`npm install tablestore`).
 */
export { openTablestoreStore, type TablestoreStoreOptions } from '../../store/tablestore.js';

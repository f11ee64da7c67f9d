/**
 * @module
 * oss-upload-callback/stores/tablestore: records in an Alibaba Cloud Tablestore table. Needs the
 * optional peer tablestore (`npm install tablestore`).
 */
export { openTablestoreStore, type TablestoreStoreOptions } from '../../store/tablestore.js';

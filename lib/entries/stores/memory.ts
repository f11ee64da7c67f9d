/**
 * @module
 * oss-upload-callback/stores/memory: records in this process only (tests, trying things out).
 */
export { openMemoryStore } from '../../store/memory.js';

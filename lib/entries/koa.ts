/**
 * @module
 * oss-upload-callback/koa: the door for Koa.
 */
export { koaHandler, type KoaContextLike } from '../platforms/koa.js';

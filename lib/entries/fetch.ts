/**
 * @module
 * oss-upload-callback/fetch: the door for a WHATWG Request (Hono, Next.js route handlers).
 */
export { fetchCallbackRequest, fetchHandler } from '../platforms/fetch.js';

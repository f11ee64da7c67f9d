/**
 * @module
 * oss-upload-callback/node: the door for node:http, Express, Connect and NestJS.
 */
export { nodeCallbackRequest, nodeHandler } from '../platforms/node.js';

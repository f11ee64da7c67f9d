/**
 * @module
 * oss-upload-callback/fc2: the Function Compute 2.0 door (HTTP handler).
 */
export { fc2Handler } from '../platforms/fc2.js';
export type { Fc2Request, Fc2Response, Fc2StreamRequest, FcContext } from '../platforms/fc2.types.js';

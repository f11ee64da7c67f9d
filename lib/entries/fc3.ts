/**
 * @module
 * oss-upload-callback/fc3: the Function Compute 3.0 door (event handler behind an HTTP trigger).
 */
export { fc3Handler } from '../platforms/fc3.js';
export type { Fc3Event, Fc3Result, FcContext } from '../platforms/fc3.types.js';

/**
 * @module
 * oss-upload-callback/lambda: the AWS Lambda door (function URL or HTTP API, payload format 2.0).
 */
export { lambdaUrlHandler as lambdaHandler, type LambdaUrlEvent, type LambdaUrlResult } from '../platforms/lambda-url.js';

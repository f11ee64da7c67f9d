/**
 * @module
 * oss-upload-callback: receive Alibaba Cloud OSS upload callbacks inside any Node backend. Build a
 * receiver here and mount it with a door: `oss-upload-callback/node` (node:http, Express, Connect,
 * NestJS), `/koa`, `/fetch` (Hono, Next.js), `/lambda`, `/fc3`, `/fc2`. Or only verify callbacks
 * and keep your own records. The README's "Inside your app" documents every export.
 */
export { createReceiver, type CallbackReceiver, type ReceiverOptions } from './create-receiver.js';
export type { ConfigOptions } from './receiver-options.js';
export { verifyCallback, type VerifiedCallback, type VerifyOptions } from './verify-callback.js';
export type { CallbackUpload } from './callback-upload.js';
export type { AnswerFields, AnswerFunction, ExtraAnswerFields } from './answer.js';
export { CallbackError, ERROR_STATUS, type CallbackErrorCode } from './errors.js';
export { ConfigError } from './config.js';
export { jsonLogger, type Logger, type LogFields, type LogLevel } from './logger.js';
export type { CallbackRequest, CallbackResponse, HandleOptions, InvocationContext, Receiver } from './exchange.js';
export type { ReceiverInput, ReceiverSource } from './platforms/receiver-source.js';
export type { AliyunCredentials } from './credentials.js';
export type { CallbackFields } from './protocol/callback-body.js';
export type { ImageInfo, RecordSource, UploadRecord } from './store/record.js';
export {
  TransientStoreError,
  type Binding,
  type CountQuery,
  type CreateOutcome,
  type InitOptions,
  type ListQuery,
  type SourceCounts,
  type StoreCallOptions,
  type StoredUpload,
  type UploadStore,
} from './store/port.js';

import { deliverCallback } from './deliver-callback.js';
import type { CallbackInput } from './callback-input.js';
import type { OssAnswer, OssRequest, SimContext } from './context.js';
import { readImageInfo } from './image-info.js';
import { objectCreatedEvent } from './notify-created.js';
import { OssError } from './oss-error.js';
import type { StoredObject } from './object-store.js';
import { renderBody, type UploadFacts } from './render-body.js';

/** The headers OSS returns with every stored upload, callback or not. */
export function uploadHeaders(object: StoredObject): Record<string, string> {
  const headers: Record<string, string> = { etag: `"${object.etag}"`, 'x-oss-hash-crc64ecma': object.crc64 };
  if (object.contentMd5) headers['content-md5'] = object.contentMd5;
  return headers;
}

/**
 * The answer to an upload that is already stored: the operation's own answer when there is no
 * callback; otherwise OSS's call to the receiver, relayed as 200 when it answers well and 203
 * `CallbackFailed` when not. The object stays stored either way. With `--notify-url`, the
 * ObjectCreated event goes out first (awaited, so its record is there when the callback comes;
 * on OSS the two race).
 */
export async function answerUpload(
  ctx: SimContext,
  request: OssRequest,
  object: StoredObject,
  operation: UploadFacts['operation'],
  callback: CallbackInput | undefined,
  plain: OssAnswer,
): Promise<OssAnswer & { callback?: string }> {
  await ctx.notify?.(objectCreatedEvent(ctx.bucket, request, object, operation));
  if (!callback || callback.param.urls.length === 0) return plain;
  const facts: UploadFacts = {
    bucket: ctx.bucket,
    object: object.key,
    etag: object.etag,
    size: object.size,
    mimeType: object.contentType,
    imageInfo: await readImageInfo(ctx.store.dataPath(object.key)),
    crc64: object.crc64,
    contentMd5: object.contentMd5,
    clientIp: request.clientIp,
    reqId: request.requestId,
    operation,
  };
  const outcome = await deliverCallback({
    param: callback.param,
    body: renderBody(callback.param.template, callback.param.bodyType, facts, callback.vars),
    privateKey: ctx.callbackKey.privateKey,
    keyUrl: ctx.keyUrl,
    bucket: ctx.bucket,
    requestId: request.requestId,
    timeoutMs: ctx.callbackTimeoutMs,
  });
  const headers = uploadHeaders(object);
  // The URL's query may carry an upload ticket: the log names only where the callback went.
  if (!outcome.ok) {
    const error = new OssError(203, 'CallbackFailed', outcome.message);
    return {
      status: 203,
      headers: { ...headers, 'content-type': 'application/xml' },
      body: Buffer.from(error.toXml(request.requestId, ctx.hostId)),
      callback: `failed: ${outcome.message}`,
    };
  }
  return { status: 200, headers: { ...headers, 'content-type': outcome.contentType }, body: outcome.body, callback: `200 from ${outcome.url.split('?')[0]}` };
}

import { callbackFromRequest } from './callback-input.js';
import { answerUpload, uploadHeaders } from './answer-upload.js';
import { userMeta, type OssAnswer, type OssRequest, type SimContext } from './context.js';
import { ossErrors } from './oss-error.js';
import type { Staged } from './object-store.js';

/** Refuse a body whose declared Content-MD5 does not match what arrived; nothing is kept. */
export async function checkContentMd5(ctx: SimContext, request: OssRequest, staged: Staged): Promise<void> {
  const declared = request.headers['content-md5'];
  if (declared !== undefined && declared !== staged.md5.toString('base64')) {
    await ctx.store.discard(staged);
    throw ossErrors.invalidDigest();
  }
}

/** PutObject: the callback parameters are validated before a byte of the body is kept. */
export async function putObject(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const callback = callbackFromRequest(request.headers, request.query);
  const staged = await ctx.store.stage(request.req);
  await checkContentMd5(ctx, request, staged);
  const object = await ctx.store.put(request.key, staged, {
    etag: staged.md5.toString('hex').toUpperCase(),
    contentMd5: staged.md5.toString('base64'),
    contentType: request.headers['content-type'] || 'application/octet-stream',
    objectType: 'Normal',
    meta: userMeta(Object.entries(request.headers)),
  });
  return answerUpload(ctx, request, object, 'PutObject', callback, { status: 200, headers: uploadHeaders(object) });
}

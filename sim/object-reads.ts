import { uploadHeaders } from './answer-upload.js';
import type { OssAnswer, OssRequest, SimContext } from './context.js';
import { ossErrors } from './oss-error.js';
import type { StoredObject } from './object-store.js';

function objectHeaders(object: StoredObject): Record<string, string> {
  return {
    ...uploadHeaders(object),
    ...object.meta,
    'content-type': object.contentType,
    'content-length': String(object.size),
    'last-modified': object.lastModified,
    'x-oss-object-type': object.objectType,
    'x-oss-storage-class': 'Standard',
  };
}

async function requireObject(ctx: SimContext, request: OssRequest): Promise<StoredObject> {
  const object = request.key ? await ctx.store.head(request.key) : undefined;
  if (!object) throw ossErrors.noSuchKey(request.key);
  return object;
}

export async function headObject(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  return { status: 200, headers: objectHeaders(await requireObject(ctx, request)) };
}

export async function getObject(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const object = await requireObject(ctx, request);
  return { status: 200, headers: objectHeaders(object), body: ctx.store.read(object.key) };
}

export async function deleteObject(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  await ctx.store.delete(request.key);
  return { status: 204 };
}

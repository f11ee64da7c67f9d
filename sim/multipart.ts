import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { answerUpload, uploadHeaders } from './answer-upload.js';
import { callbackFromRequest } from './callback-input.js';
import { queryParam, userMeta, type OssAnswer, type OssRequest, type SimContext } from './context.js';
import type { CompletedPart } from './object-store.js';
import { OssError, ossErrors } from './oss-error.js';
import { checkContentMd5 } from './put-object.js';
import { xmlDocument } from './xml.js';

/** OSS refuses a part under 100 KB unless it is the last one. */
export const MIN_PART_SIZE = 100 * 1024;
const MAX_COMPLETE_BODY = 1024 * 1024;

const xml = (body: string): OssAnswer => ({ status: 200, headers: { 'content-type': 'application/xml' }, body: Buffer.from(body) });

export async function initiateMultipartUpload(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const uploadId = await ctx.store.createUpload({
    key: request.key,
    contentType: request.headers['content-type'] || 'application/octet-stream',
    meta: userMeta(Object.entries(request.headers)),
    initiated: new Date().toISOString(),
  });
  return xml(xmlDocument('InitiateMultipartUploadResult', [['Bucket', ctx.bucket], ['Key', request.key], ['UploadId', uploadId]]));
}

async function requireUpload(ctx: SimContext, request: OssRequest, uploadId: string) {
  const upload = await ctx.store.getUpload(uploadId);
  if (!upload || upload.key !== request.key) throw ossErrors.noSuchUpload(uploadId);
  return upload;
}

export async function uploadPart(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const uploadId = queryParam(request, 'uploadId') ?? '';
  const number = Number(queryParam(request, 'partNumber'));
  if (!Number.isInteger(number) || number < 1 || number > 10_000) {
    throw new OssError(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.', [['ArgumentName', 'partNumber']]);
  }
  await requireUpload(ctx, request, uploadId);
  const staged = await ctx.store.stage(request.req);
  await checkContentMd5(ctx, request, staged);
  const part = await ctx.store.putPart(uploadId, number, staged);
  return { status: 200, headers: { etag: `"${part.etag}"`, 'x-oss-hash-crc64ecma': staged.crc64, 'content-md5': staged.md5.toString('base64') } };
}

async function readRequestedParts(request: OssRequest): Promise<Array<{ number: number; etag: string }>> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request.req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > MAX_COMPLETE_BODY) throw new OssError(400, 'InvalidArgument', 'The XML you provided was too large.');
    chunks.push(chunk);
  }
  const malformed = () => new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  let document: { CompleteMultipartUpload?: { Part?: unknown } };
  try {
    document = new XMLParser({ isArray: (name) => name === 'Part', parseTagValue: false }).parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw malformed();
  }
  const parts = document.CompleteMultipartUpload?.Part;
  if (!Array.isArray(parts) || parts.length === 0) throw malformed();
  return parts.map((part: { PartNumber?: unknown; ETag?: unknown }) => {
    const number = Number(part.PartNumber);
    if (!Number.isInteger(number) || typeof part.ETag !== 'string') throw malformed();
    return { number, etag: part.ETag.replace(/"/g, '').toUpperCase() };
  });
}

/** Choose the listed parts as OSS checks them: ascending, present, matching ETags, large enough. */
function chooseParts(requested: ReadonlyArray<{ number: number; etag: string }>, stored: ReadonlyMap<number, CompletedPart>): CompletedPart[] {
  return requested.map(({ number, etag }, index) => {
    if (index > 0 && number <= requested[index - 1]!.number) {
      throw new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts list must specified in order by part number.');
    }
    const part = stored.get(number);
    if (!part || part.etag !== etag) {
      throw new OssError(400, 'InvalidPart', "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", [
        ['PartNumber', String(number)],
        ['ETag', etag],
      ]);
    }
    if (index < requested.length - 1 && part.size < MIN_PART_SIZE) {
      throw new OssError(400, 'EntityTooSmall', 'Your proposed upload smaller than the minimum allowed size.', [['PartNumber', String(number)]]);
    }
    return part;
  });
}

/** MD5 over the parts' binary MD5s, upper-case hex, `-<number of parts>`. */
export function multipartEtag(partEtags: readonly string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex').toUpperCase()}-${partEtags.length}`;
}

export async function completeMultipartUpload(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const uploadId = queryParam(request, 'uploadId') ?? '';
  const callback = callbackFromRequest(request.headers, request.query);
  const upload = await requireUpload(ctx, request, uploadId);
  const parts = chooseParts(await readRequestedParts(request), await ctx.store.listParts(uploadId));
  const staged = await ctx.store.concatenate(parts);
  const object = await ctx.store.put(request.key, staged, {
    etag: multipartEtag(parts.map((part) => part.etag)),
    contentMd5: '',
    contentType: upload.contentType,
    objectType: 'Multipart',
    meta: upload.meta,
  });
  await ctx.store.removeUpload(uploadId);
  const result = xmlDocument('CompleteMultipartUploadResult', [
    ['Location', `http://${ctx.hostId}/${encodeURIComponent(request.key).replace(/%2F/g, '/')}`],
    ['Bucket', ctx.bucket],
    ['Key', request.key],
    ['ETag', `"${object.etag}"`],
  ]);
  return answerUpload(ctx, request, object, 'CompleteMultipartUpload', callback, { ...xml(result), headers: { ...uploadHeaders(object), 'content-type': 'application/xml' } });
}

export async function abortMultipartUpload(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const uploadId = queryParam(request, 'uploadId') ?? '';
  await requireUpload(ctx, request, uploadId);
  await ctx.store.removeUpload(uploadId);
  return { status: 204 };
}

import { setOwnField } from '../own-field.js';
import { normalEtag } from '../store/upload-id.js';
import { OssRefusal, type OssClient } from './client.js';

/** What HeadObject says of an object: the facts a record made without a callback holds. */
export interface ObjectFacts {
  bucket: string;
  key: string;
  /** Upper-case hex without quotes, `-<parts>` for a multipart object. */
  etag: string;
  size: number;
  contentType: string | null;
  /** Base64 MD5; OSS reports it for objects uploaded in one piece. */
  contentMd5: string | null;
  /** `x-oss-hash-crc64ecma`, the exact decimal string. */
  crc64: string | null;
  /** ISO 8601. */
  lastModified: string | null;
  /** `x-oss-meta-<name>` headers, keyed by `<name>`. */
  metadata: Record<string, string>;
}

const META_PREFIX = 'x-oss-meta-';

/** HeadObject: the object's facts, or undefined when the bucket has no such key (404 NoSuchKey). */
export async function headObject(client: OssClient, bucket: string, key: string, signal?: AbortSignal): Promise<ObjectFacts | undefined> {
  let headers;
  try {
    ({ headers } = await client.send({ method: 'HEAD', bucket, key, ...(signal ? { signal } : {}) }));
  } catch (error) {
    // A 404 that names no code (a proxy, an old endpoint) is taken as the key missing too.
    if (error instanceof OssRefusal && error.status === 404 && (error.code === 'NoSuchKey' || error.code === 'HTTP404')) return undefined;
    throw error;
  }
  const text = (name: string) => {
    const value = headers[name];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  const etag = normalEtag(text('etag'));
  const size = Number(text('content-length'));
  if (etag === null || !Number.isSafeInteger(size)) throw new Error(`OSS answered HeadObject for ${key} without an ETag or a Content-Length`);
  const lastModified = text('last-modified');
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(META_PREFIX) && typeof value === 'string') setOwnField(metadata, name.slice(META_PREFIX.length), value);
  }
  return {
    bucket,
    key,
    etag,
    size,
    contentType: text('content-type'),
    contentMd5: text('content-md5'),
    crc64: text('x-oss-hash-crc64ecma'),
    lastModified: lastModified === null ? null : isoDate(lastModified),
    metadata,
  };
}

/** An HTTP date (`Wed, 21 Oct 2025 07:28:00 GMT`) as ISO 8601; null when it is not a date. */
export function isoDate(httpDate: string): string | null {
  const time = Date.parse(httpDate);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

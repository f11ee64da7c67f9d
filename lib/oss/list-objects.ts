import { XMLParser } from 'fast-xml-parser';
import { normalEtag } from '../store/upload-id.js';
import type { OssClient } from './client.js';

/** One entry of a ListObjectsV2 page. */
export interface ListedObject {
  key: string;
  /** Upper-case hex without quotes. */
  etag: string;
  size: number;
  /** ISO 8601. */
  lastModified: string;
}

export interface ListOptions {
  bucket: string;
  prefix?: string;
  /** Keys per page, up to OSS's 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

// Keys keep their spaces and every character reference; values stay text.
const parser = new XMLParser({ parseTagValue: false, trimValues: false, htmlEntities: true, isArray: (name) => name === 'Contents' });

/**
 * ListObjectsV2 (`GET /?list-type=2`), one page at a time in key order, following
 * `NextContinuationToken` while `IsTruncated` is true: what ali-oss's `listV2` sends.
 */
export async function* listObjects(client: OssClient, { bucket, prefix, pageSize = 1000, signal }: ListOptions): AsyncGenerator<ListedObject[]> {
  let token: string | undefined;
  do {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['max-keys', String(pageSize)],
    ];
    if (prefix) query.push(['prefix', prefix]);
    if (token) query.push(['continuation-token', token]);
    const { body } = await client.send({ method: 'GET', bucket, key: '', query, ...(signal ? { signal } : {}) });
    const page = parsePage(body.toString('utf8'));
    yield page.objects;
    token = page.truncated ? page.nextToken : undefined;
    if (page.truncated && !token) throw new Error('OSS said the listing goes on but sent no NextContinuationToken');
  } while (token);
}

interface Page {
  objects: ListedObject[];
  truncated: boolean;
  nextToken: string | undefined;
}

interface ListBucketResult {
  Contents?: { Key?: string; ETag?: string; Size?: string; LastModified?: string }[];
  IsTruncated?: string;
  NextContinuationToken?: string;
}

export function parsePage(xml: string): Page {
  const result = (parser.parse(xml) as { ListBucketResult?: ListBucketResult }).ListBucketResult;
  if (!result) throw new Error('OSS answered ListObjectsV2 with something other than a ListBucketResult');
  const objects = (result.Contents ?? []).map((entry) => {
    const etag = normalEtag(entry.ETag ?? null);
    const size = Number(entry.Size);
    const lastModified = Date.parse(entry.LastModified ?? '');
    if (entry.Key === undefined || etag === null || !Number.isSafeInteger(size) || Number.isNaN(lastModified)) {
      throw new Error(`OSS listed an object without a key, ETag, size or last-modified time: ${JSON.stringify(entry).slice(0, 200)}`);
    }
    return { key: entry.Key, etag, size, lastModified: new Date(lastModified).toISOString() };
  });
  return { objects, truncated: result.IsTruncated === 'true', nextToken: result.NextContinuationToken || undefined };
}

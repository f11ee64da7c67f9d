import { normalEtag } from '../store/upload-id.js';
import type { OssClient } from './client.js';
import { onlyChild, parseStrictXml, XmlError, type XmlElement } from './strict-xml.js';

/** One entry of a ListObjectsV2 page. */
export interface ListedObject {
  /** The key exactly as OSS holds it. */
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
  /** List the keys after this one. */
  startAfter?: string;
  /** Keys per page, up to OSS's 1000. */
  pageSize?: number;
  signal?: AbortSignal;
}

/** OSS answered a listing with something it never sends: the run must not go on as if it were a listing. */
export class ListingError extends Error {
  /** For a key that cannot be read exactly: the key as OSS sent it. */
  readonly key: string | undefined;

  constructor(message: string, options?: { cause?: unknown; key?: string }) {
    super(message, options);
    this.name = 'ListingError';
    this.key = options?.key;
  }
}

/**
 * The largest page read. 1000 keys of at most 1023 bytes, each byte URL-encoded to at most three
 * characters, with ETag, size, date and storage class around each, make under 3.5 MB; a bigger page
 * is not a listing, and is dropped unread when this much has come.
 */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;
/** Truncated pages without a single key, in a row, before the listing is taken to go nowhere. */
const MAX_EMPTY_PAGES = 100;

/**
 * ListObjectsV2 (`GET /?list-type=2&encoding-type=url`), one page at a time in key order, following
 * `NextContinuationToken` while `IsTruncated` is true. `encoding-type=url` is what OSS's own SDKs
 * send (alibabacloud-oss-go-sdk-v2 ListObjectsV2): without it a key's control characters go into
 * the XML as character references XML forbids, or are changed by XML's line-end rules, so the key
 * read is not the key held. With it, OSS URL-encodes Key, Prefix, StartAfter, Delimiter,
 * ContinuationToken and NextContinuationToken (the fields those SDKs decode).
 *
 * Every page is checked before any of it is yielded: a well-formed ListBucketResult, URL-encoded,
 * for the prefix asked, with as many keys as its KeyCount says, each key readable exactly, under the
 * prefix and after the last one listed (OSS lists in byte order), and a new continuation token
 * whenever it says the listing goes on. A page that fails any of it throws a ListingError naming
 * what was wrong; an OSS refusal throws as OssClient's errors do.
 */
export async function* listObjects(client: OssClient, { bucket, prefix = '', startAfter, pageSize = 1000, signal }: ListOptions): AsyncGenerator<ListedObject[]> {
  let token: string | undefined;
  let last = startAfter;
  let emptyPages = 0;
  do {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['encoding-type', 'url'],
      ['max-keys', String(pageSize)],
    ];
    if (prefix) query.push(['prefix', prefix]);
    if (token !== undefined) query.push(['continuation-token', token]);
    else if (startAfter) query.push(['start-after', startAfter]);
    const { body } = await client.send({ method: 'GET', bucket, key: '', query, maxBodyBytes: MAX_PAGE_BYTES, ...(signal ? { signal } : {}) });
    const page = readPage(body, { prefix, pageSize, token, after: last });
    if (page.truncated) {
      if (page.nextToken === undefined) throw new ListingError('OSS said the listing goes on (IsTruncated) but sent no NextContinuationToken');
      if (page.nextToken === token) throw new ListingError('OSS sent the same continuation token again: the listing would never end');
      emptyPages = page.objects.length === 0 ? emptyPages + 1 : 0;
      if (emptyPages >= MAX_EMPTY_PAGES) throw new ListingError(`OSS sent ${MAX_EMPTY_PAGES} pages in a row with no key, each saying the listing goes on`);
    }
    if (page.objects.length > 0) last = page.objects.at(-1)!.key;
    yield page.objects;
    token = page.truncated ? page.nextToken : undefined;
  } while (token !== undefined);
}

interface Page {
  objects: ListedObject[];
  truncated: boolean;
  nextToken: string | undefined;
}

interface Expected {
  prefix: string;
  pageSize: number;
  /** The continuation token sent, if any. */
  token: string | undefined;
  /** Every key must come after this one. */
  after: string | undefined;
}

/** One page, checked as `listObjects` says; throws a ListingError. */
function readPage(body: Buffer, expected: Expected): Page {
  let root: XmlElement;
  try {
    root = parseStrictXml(body);
  } catch (error) {
    if (error instanceof XmlError) throw new ListingError(`OSS sent a listing that is not the XML OSS documents: ${error.message}`, { cause: error });
    throw error;
  }
  if (root.name !== 'ListBucketResult') throw new ListingError(`OSS answered the listing with <${root.name}>, not a ListBucketResult`);
  const field = (name: string, parent = root) => {
    try {
      return onlyChild(parent, name)?.text;
    } catch (error) {
      throw new ListingError(`OSS sent a listing with ${(error as Error).message}`);
    }
  };
  if (field('EncodingType') !== 'url') throw new ListingError('OSS sent a listing that is not URL-encoded, though encoding-type=url was asked for: its keys cannot be read exactly');
  const encoded = (name: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const value = decodeListed(raw);
    if (value === undefined) throw new ListingError(`OSS sent a ${name} that cannot be read exactly: ${JSON.stringify(raw.slice(0, 200))}`, name === 'Key' ? { key: raw } : {});
    return value;
  };
  if ((encoded('Prefix', field('Prefix')) ?? '') !== expected.prefix) throw new ListingError('OSS sent a listing for another prefix than the one asked for');
  if (expected.token !== undefined && field('ContinuationToken') !== undefined && encoded('ContinuationToken', field('ContinuationToken')) !== expected.token) {
    throw new ListingError('OSS sent a listing that continues from another token than the one sent');
  }
  if (root.children.some((child) => child.name === 'CommonPrefixes')) throw new ListingError('OSS sent CommonPrefixes, though no delimiter was asked for');
  const truncated = field('IsTruncated');
  if (truncated !== 'true' && truncated !== 'false') throw new ListingError(`OSS sent a listing whose IsTruncated is ${JSON.stringify(truncated ?? null)}, neither true nor false`);

  const entries = root.children.filter((child) => child.name === 'Contents');
  const keyCount = field('KeyCount');
  if (keyCount === undefined || !/^\d+$/.test(keyCount)) throw new ListingError('OSS sent a listing without its KeyCount');
  if (Number(keyCount) !== entries.length) throw new ListingError(`OSS sent a listing cut short: KeyCount says ${keyCount} keys, the page holds ${entries.length}`);
  if (entries.length > expected.pageSize) throw new ListingError(`OSS sent ${entries.length} keys, more than the ${expected.pageSize} asked for`);

  let after = expected.after === undefined ? undefined : Buffer.from(expected.after);
  const objects = entries.map((entry) => {
    const key = encoded('Key', field('Key', entry));
    if (key === undefined || key === '') throw new ListingError('OSS listed an object with an empty key', { key: '' });
    const etag = normalEtag(field('ETag', entry) ?? null);
    const sizeText = field('Size', entry) ?? '';
    const lastModified = Date.parse(field('LastModified', entry) ?? '');
    if (etag === null || !/^\d+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)) || Number.isNaN(lastModified)) {
      throw new ListingError(`OSS listed ${JSON.stringify(key)} without an ETag, a size or a last-modified time`);
    }
    if (!key.startsWith(expected.prefix)) throw new ListingError(`OSS listed ${JSON.stringify(key)}, which is not under the prefix asked for`);
    const bytes = Buffer.from(key);
    if (after !== undefined && Buffer.compare(bytes, after) <= 0) throw new ListingError(`OSS listed ${JSON.stringify(key)} out of order, after a key that sorts after it: the listing went back`);
    after = bytes;
    return { key, etag, size: Number(sizeText), lastModified: new Date(lastModified).toISOString() };
  });
  return { objects, truncated: truncated === 'true', nextToken: truncated === 'true' ? encoded('NextContinuationToken', field('NextContinuationToken')) || undefined : undefined };
}

/**
 * A field OSS URL-encoded: `%XX` escapes of UTF-8 bytes. Undefined when it cannot be read exactly: an
 * escape that is not two hex digits, bytes that are not UTF-8, a control character left raw, or a
 * `+`. OSS's SDKs disagree on what `+` means (Go's url.QueryUnescape reads a space, Python's unquote
 * a plus), so OSS encodes both space and plus and never sends one; one that comes is read as neither.
 */
export function decodeListed(text: string): string | undefined {
  if (/%(?![0-9A-Fa-f]{2})|[\x00-\x1f\x7f+]/.test(text)) return undefined;
  try {
    // Not TextDecoder: it drops a leading BOM (%EF%BB%BF), which would read another key than OSS holds.
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

import { queryParam, type OssAnswer, type OssRequest, type SimContext } from './context.js';
import { OssError } from './oss-error.js';
import type { StoredObject } from './object-store.js';
import { xmlDocument, type XmlChildren } from './xml.js';

/** OSS lists 100 keys a page unless asked for up to 1000. */
const DEFAULT_MAX_KEYS = 100;
const MAX_KEYS = 1000;

/** Where a page ends: the last key listed, and the common prefix it ended in, if any. */
interface Position {
  after: string;
  inPrefix?: string;
}

/** Continuation tokens are opaque to clients; here they are the position, base64url JSON. */
function tokenOf(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function positionOf(token: string): Position {
  try {
    const position = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Position;
    if (typeof position.after === 'string') return position;
  } catch {
    // Refused below, as OSS refuses a token it did not issue.
  }
  throw new OssError(400, 'InvalidArgument', 'The continuation token provided is incorrect.', [['ArgumentName', 'continuation-token']]);
}

function maxKeysOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_KEYS;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 1 && value <= MAX_KEYS)) throw new OssError(400, 'InvalidArgument', 'max-keys is not valid.', [['ArgumentName', 'max-keys']]);
  return value;
}

const after = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)) > 0;

/**
 * ListObjectsV2 (`GET /?list-type=2`): keys in byte order from `prefix`, after `start-after` or the
 * continuation token, grouped into CommonPrefixes by `delimiter`, at most `max-keys` entries a page
 * (a common prefix counts as one), `encoding-type=url` honoured. The answer is OSS's XML: quoted
 * ETags, ISO 8601 LastModified, KeyCount, and NextContinuationToken while IsTruncated.
 */
export async function listObjectsV2(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const prefix = queryParam(request, 'prefix') ?? '';
  const delimiter = queryParam(request, 'delimiter') ?? '';
  const startAfter = queryParam(request, 'start-after');
  const token = queryParam(request, 'continuation-token');
  const urlEncoded = queryParam(request, 'encoding-type') === 'url';
  const encode = urlEncoded ? encodeURIComponent : (text: string) => text;
  const maxKeys = maxKeysOf(queryParam(request, 'max-keys'));
  const from: Position = token ? positionOf(token) : { after: startAfter ?? '' };

  const contents: StoredObject[] = [];
  const prefixes: string[] = [];
  let last: Position | undefined;
  let truncated = false;
  for (const object of await ctx.store.list()) {
    if (!object.key.startsWith(prefix) || !after(object.key, from.after)) continue;
    if (from.inPrefix !== undefined && object.key.startsWith(from.inPrefix)) continue;
    const cut = delimiter ? object.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut === -1 ? undefined : object.key.slice(0, cut + delimiter.length);
    if (common !== undefined && prefixes.at(-1) === common) continue;
    if (contents.length + prefixes.length === maxKeys) {
      truncated = true;
      break;
    }
    if (common === undefined) contents.push(object);
    else prefixes.push(common);
    last = { after: object.key, ...(common === undefined ? {} : { inPrefix: common }) };
  }

  const children: [string, string | XmlChildren][] = [
    ['Name', ctx.bucket],
    ['Prefix', encode(prefix)],
  ];
  if (startAfter !== undefined) children.push(['StartAfter', encode(startAfter)]);
  if (token !== undefined) children.push(['ContinuationToken', token]);
  children.push(['MaxKeys', String(maxKeys)]);
  if (delimiter) children.push(['Delimiter', encode(delimiter)]);
  if (urlEncoded) children.push(['EncodingType', 'url']);
  children.push(['IsTruncated', String(truncated)]);
  if (truncated && last) children.push(['NextContinuationToken', tokenOf(last)]);
  for (const object of contents) {
    children.push([
      'Contents',
      [
        ['Key', encode(object.key)],
        ['LastModified', new Date(object.lastModified).toISOString()],
        ['ETag', `"${object.etag}"`],
        ['Size', String(object.size)],
        ['StorageClass', 'Standard'],
        ['Type', object.objectType],
      ],
    ]);
  }
  for (const common of prefixes) children.push(['CommonPrefixes', [['Prefix', encode(common)]]]);
  children.push(['KeyCount', String(contents.length + prefixes.length)]);
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: Buffer.from(xmlDocument('ListBucketResult', children)) };
}

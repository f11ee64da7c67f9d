import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A bucket on loopback that answers ListObjectsV2 and HeadObject from objects held in memory, fast
 * enough for a bucket of 100,000 objects, counting every request; and, for the listings OSS must
 * never send, a hook that answers a listing request with any status, headers and body. It checks no
 * signature: the simulator (sim/) is the faithful OSS; this is the one that can misbehave.
 *
 * Listings are OSS's XML: keys in byte order, `max-keys` (100 by default, up to 1000),
 * `start-after`, `continuation-token` (here the last key listed, base64url), KeyCount, quoted ETags,
 * ISO 8601 LastModified. With `encoding-type=url`, Key, Prefix, StartAfter and the tokens are
 * percent-encoded (UTF-8, a space as %20, never a `+`): what OSS's own SDKs decode
 * (alibabacloud-oss-go-sdk-v2 `unmarshalEncodeType`, aliyun-oss-python-sdk `xml_utils`). Without it,
 * the key goes in the XML as text: a control character as a character reference (`&#x1;`), which
 * XML 1.0 does not allow, and `\r` raw, which XML parsers turn into `\n`.
 */
export interface FakeObject {
  key: string;
  etag: string;
  size: number;
  /** Epoch ms. */
  lastModified: number;
  contentType?: string;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** A string, or bytes written as they are (chunked when there is no content-length header). */
  body?: string | Buffer;
}

export interface ListRequest {
  prefix: string;
  startAfter: string | undefined;
  token: string | undefined;
  maxKeys: number;
  urlEncoded: boolean;
  /** How many listing requests came before this one. */
  index: number;
}

export interface FakeOss {
  url: string;
  /** The objects, kept in key order; change them with put and remove. */
  put(...objects: FakeObject[]): void;
  remove(key: string): void;
  /** Answer listing requests yourself: return undefined to let the bucket answer. */
  onList(answer: ((request: ListRequest) => FakeAnswer | undefined) | undefined): void;
  /** Answer HeadObject yourself (or wait first): resolve to undefined to let the bucket answer. */
  onHead(answer: ((key: string) => Promise<FakeAnswer | undefined> | FakeAnswer | undefined) | undefined): void;
  /** Requests seen: `list`, `head`, and the raw query strings of the listings. */
  readonly seen: { list: number; head: number; queries: string[] };
  /** The listing page the bucket itself would send. */
  page(request: Omit<ListRequest, 'index'>): string;
  close(): Promise<void>;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** XML text: `&`, `<`, `>` escaped; control characters as character references. */
function xmlText(text: string): string {
  return text.replace(/[<>&\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? `&#x${c.charCodeAt(0).toString(16)};`);
}

/** Percent-encoding of every byte outside A-Z a-z 0-9 - _ . ~ / (UTF-8). */
export function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

export function listingXml(fields: { prefix: string; startAfter?: string | undefined; token?: string | undefined; maxKeys: number; urlEncoded: boolean; truncated: boolean; nextToken?: string | undefined; objects: FakeObject[] }): string {
  const encode = fields.urlEncoded ? urlEncode : (text: string) => text;
  const element = (name: string, value: string) => `<${name}>${xmlText(value)}</${name}>`;
  const parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult>', element('Name', 'fake-bucket'), element('Prefix', encode(fields.prefix))];
  if (fields.startAfter !== undefined) parts.push(element('StartAfter', encode(fields.startAfter)));
  if (fields.token !== undefined) parts.push(element('ContinuationToken', encode(fields.token)));
  parts.push(element('MaxKeys', String(fields.maxKeys)));
  if (fields.urlEncoded) parts.push(element('EncodingType', 'url'));
  parts.push(element('IsTruncated', String(fields.truncated)));
  if (fields.nextToken !== undefined) parts.push(element('NextContinuationToken', encode(fields.nextToken)));
  for (const object of fields.objects) {
    parts.push(
      `<Contents>${element('Key', encode(object.key))}${element('LastModified', new Date(object.lastModified).toISOString())}${element('ETag', `"${object.etag}"`)}` +
        `${element('Type', 'Normal')}${element('Size', String(object.size))}${element('StorageClass', 'Standard')}</Contents>`,
    );
  }
  parts.push(element('KeyCount', String(fields.objects.length)), '</ListBucketResult>\n');
  return parts.join('\n');
}

const tokenOf = (key: string) => Buffer.from(key).toString('base64url');
const keyOf = (token: string) => Buffer.from(token, 'base64url').toString('utf8');

export async function startFakeOss(objects: FakeObject[] = []): Promise<FakeOss> {
  let sorted = [...objects].sort((a, b) => byBytes(a.key, b.key));
  const byKey = new Map(sorted.map((object) => [object.key, object]));
  let hook: ((request: ListRequest) => FakeAnswer | undefined) | undefined;
  let headHook: ((key: string) => Promise<FakeAnswer | undefined> | FakeAnswer | undefined) | undefined;
  const seen = { list: 0, head: 0, queries: [] as string[] };

  /** The index of the first key after `key` (binary search: keys are in byte order). */
  const firstAfter = (key: string) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (byBytes(sorted[middle]!.key, key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  const page = ({ prefix, startAfter, token, maxKeys, urlEncoded }: Omit<ListRequest, 'index'>): string => {
    const after = token !== undefined ? keyOf(token) : (startAfter ?? '');
    const listed: FakeObject[] = [];
    let index = Math.max(firstAfter(after), prefix ? firstAfter(prefix) - (byKey.has(prefix) ? 1 : 0) : 0);
    for (; index < sorted.length && listed.length < maxKeys; index++) {
      const object = sorted[index]!;
      if (!object.key.startsWith(prefix)) {
        if (byBytes(object.key, prefix) > 0) break;
        continue;
      }
      listed.push(object);
    }
    const truncated = listed.length === maxKeys && index < sorted.length && sorted[index]!.key.startsWith(prefix);
    return listingXml({ prefix, startAfter, token, maxKeys, urlEncoded, truncated, nextToken: truncated ? tokenOf(listed.at(-1)!.key) : undefined, objects: listed });
  };

  const send = (res: ServerResponse, answer: FakeAnswer) => {
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
    const headers: Record<string, string> = { 'x-oss-request-id': 'FAKE0000000000000000', ...answer.headers };
    if (body && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length') && !('transfer-encoding' in headers)) headers['content-length'] = String(body.length);
    res.writeHead(answer.status ?? 200, headers);
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const key = decodeURIComponent(url.pathname.slice(1));
    if (req.method === 'HEAD' && key) {
      seen.head++;
      const answer = await headHook?.(key);
      if (answer) return send(res, answer);
      if (res.destroyed) return;
      const object = byKey.get(key);
      if (!object) return send(res, { status: 404, headers: { 'x-oss-err': Buffer.from('<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>').toString('base64') } });
      return send(res, {
        headers: {
          etag: `"${object.etag}"`,
          'content-length': String(object.size),
          'content-type': object.contentType ?? 'application/octet-stream',
          'last-modified': new Date(object.lastModified).toUTCString(),
        },
      });
    }
    if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
      const request: ListRequest = {
        prefix: url.searchParams.get('prefix') ?? '',
        startAfter: url.searchParams.get('start-after') ?? undefined,
        token: url.searchParams.get('continuation-token') ?? undefined,
        maxKeys: Number(url.searchParams.get('max-keys') ?? 100),
        urlEncoded: url.searchParams.get('encoding-type') === 'url',
        index: seen.list,
      };
      seen.list++;
      seen.queries.push(url.search);
      const answer = hook?.(request);
      return send(res, answer ?? { headers: { 'content-type': 'application/xml' }, body: page(request) });
    }
    send(res, { status: 501, body: '<Error><Code>NotImplemented</Code><Message>the fake bucket lists and heads only</Message></Error>' });
  };

  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => void handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put(...added) {
      for (const object of added) byKey.set(object.key, object);
      sorted = [...byKey.values()].sort((a, b) => byBytes(a.key, b.key));
    },
    remove(key) {
      byKey.delete(key);
      sorted = sorted.filter((object) => object.key !== key);
    },
    onList(answer) {
      hook = answer;
    },
    onHead(answer) {
      headHook = answer;
    },
    seen,
    page,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import OSS from 'ali-oss';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOssClient, type OssClient } from '../../../lib/oss/client.js';
import { decodeListed, ListingError, listObjects, MAX_PAGE_BYTES } from '../../../lib/oss/list-objects.js';
import { ossLocation } from '../../../lib/oss/location.js';
import { listingXml, startFakeOss, urlEncode, type FakeAnswer, type FakeObject, type FakeOss, type ListRequest } from '../../support/fake-oss.js';

/**
 * The listing as OSS holds the keys, and every listing OSS must never send refused with what was
 * wrong: a fake bucket on loopback sends each broken page the reconcile issue met.
 */
const BUCKET = 'fake-bucket';
const PAIR = { accessKeyId: 'LTAI-list', accessKeySecret: 'list-secret' };
const at = Date.parse('2026-05-07T03:00:00Z');
const object = (key: string, n = 0): FakeObject => ({ key, etag: n.toString(16).padStart(32, '0').toUpperCase(), size: 10 + n, lastModified: at });

let fake: FakeOss;
let client: OssClient;

beforeAll(async () => {
  fake = await startFakeOss();
  client = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: fake.url }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR, timeoutMs: 2_000 });
});
afterEach(() => fake.onList(undefined));
afterAll(async () => {
  client.close();
  await fake.close();
});

async function listAll(prefix = '', pageSize = 1000, startAfter?: string): Promise<string[][]> {
  const pages: string[][] = [];
  for await (const page of listObjects(client, { bucket: BUCKET, prefix, pageSize, ...(startAfter ? { startAfter } : {}) })) pages.push(page.map((entry) => entry.key));
  return pages;
}

describe('every key as OSS holds it', () => {
  const hard = ['hard/ctl\x01char.txt', 'hard/cr\rkey.txt', 'hard/lf\nkey.txt', 'hard/plus+and space.txt', 'hard/100%.txt', 'hard/ünï ✓ 😀.jpg', 'hard/&amp;<x>.txt', 'hard/tab\tkey'];

  it('asks for encoding-type=url and reads keys with control characters, +, %, spaces and any Unicode exactly', async () => {
    fake.put(...hard.map((key, n) => object(key, n)));
    const seen = fake.seen.queries.length;
    const [page] = await listAll('hard/');
    expect(page!.sort()).toEqual([...hard].sort());
    expect(new URLSearchParams(fake.seen.queries[seen]).get('encoding-type')).toBe('url');
  });

  it('asks what ali-oss listV2 asks, page after page', async () => {
    fake.put(...Array.from({ length: 5 }, (_, n) => object(`wire/${n}.txt`, n)));
    const ours = fake.seen.queries.length;
    expect(await listAll('wire/', 2)).toEqual([['wire/0.txt', 'wire/1.txt'], ['wire/2.txt', 'wire/3.txt'], ['wire/4.txt']]);
    const sdk = new OSS({ endpoint: fake.url, cname: true, bucket: BUCKET, ...PAIR });
    const theirs = fake.seen.queries.length;
    let token: string | null = null;
    do {
      const result: { nextContinuationToken: string | null } = await sdk.listV2({ prefix: 'wire/', 'max-keys': '2', 'encoding-type': 'url', ...(token ? { 'continuation-token': token } : {}) }, {});
      token = result.nextContinuationToken && decodeURIComponent(result.nextContinuationToken);
    } while (token);
    const asked = (from: number, to: number) => fake.seen.queries.slice(from, to).map((query) => Object.fromEntries(new URLSearchParams(query)));
    expect(asked(ours, theirs)).toEqual(asked(theirs, fake.seen.queries.length));
  });

  it('reads a key that begins with a byte order mark as OSS holds it, the U+FEFF kept', async () => {
    fake.put(object('\uFEFFbom.txt', 1));
    expect(await listAll('\uFEFF')).toEqual([['\uFEFFbom.txt']]);
  });

  it('goes on after a key with start-after', async () => {
    fake.put(...Array.from({ length: 4 }, (_, n) => object(`after/${n}.txt`, n)));
    expect(await listAll('after/', 1000, 'after/1.txt')).toEqual([['after/2.txt', 'after/3.txt']]);
  });

  it.each([
    ['a%2Bb', 'a+b'],
    ['a%20b', 'a b'],
    ['a b', 'a b'],
    ['%C3%BC%F0%9F%98%80', 'ü😀'],
    ['plain/key.txt', 'plain/key.txt'],
    ['%EF%BB%BFkey', '\uFEFFkey'],
    ['a+b', undefined],
    ['a%2', undefined],
    ['a%G1', undefined],
    ['%FF%FE', undefined],
    ['%C3', undefined],
    ['a\x01b', undefined],
  ])('decodes the URL-encoded field %j as %j', (field, key) => {
    expect(decodeListed(field)).toBe(key);
  });
});

/** A page as the bucket would send it, edited. */
const page = (request: ListRequest, objects: FakeObject[], edit: (xml: string) => string = (xml) => xml, fields: Partial<Parameters<typeof listingXml>[0]> = {}): FakeAnswer => ({
  body: edit(listingXml({ prefix: request.prefix, maxKeys: request.maxKeys, urlEncoded: request.urlEncoded, truncated: false, objects, ...(request.token ? { token: request.token } : {}), ...fields })),
});
const firstTwo = [object('broken/1.txt', 1), object('broken/2.txt', 2)];

describe('a listing OSS should never send stops the listing, naming what was wrong', () => {
  it.each<[string, (request: ListRequest) => FakeAnswer, RegExp]>([
    ['the same continuation token again and again', (request) => page(request, request.token === undefined ? firstTwo : [], undefined, { truncated: true, nextToken: 'same' }), /same continuation token again/],
    ['a listing that goes back to keys already listed', (request) => page(request, firstTwo, undefined, { truncated: true, nextToken: `t${request.index}` }), /out of order/],
    ['IsTruncated with no token', (request) => page(request, firstTwo, undefined, { truncated: true }), /goes on \(IsTruncated\) but sent no NextContinuationToken/],
    ['a page cut short: KeyCount says 4, 2 keys came', (request) => page(request, firstTwo, (xml) => xml.replace('<KeyCount>2</KeyCount>', '<KeyCount>4</KeyCount>')), /cut short: KeyCount says 4 keys, the page holds 2/],
    ['a page without its KeyCount', (request) => page(request, firstTwo, (xml) => xml.replace(/<KeyCount>\d+<\/KeyCount>/, '')), /without its KeyCount/],
    ['a document that breaks off', (request) => page(request, firstTwo, (xml) => xml.slice(0, xml.indexOf('<Contents>', xml.indexOf('<Contents>') + 1) + 20)), /never ends \(a document cut short\)/],
    ['a DOCTYPE with an entity', (request) => page(request, firstTwo, (xml) => xml.replace('<ListBucketResult>', '<!DOCTYPE x [<!ENTITY e "broken/9.txt">]><ListBucketResult>').replace('broken/2.txt', '&e;')), /a DOCTYPE/],
    ['an entity of its own', (request) => page(request, firstTwo, (xml) => xml.replace('broken/2.txt', '&e;')), /the entity &e;/],
    ['a character reference XML forbids', (request) => page(request, firstTwo, (xml) => xml.replace('broken/2.txt', 'broken/&#x1;.txt')), /&#x1;, to a character XML 1\.0 does not allow/],
    ['a raw control character', (request) => page(request, firstTwo, (xml) => xml.replace('broken/2.txt', 'broken/\x1b[31m.txt')), /U\+001B, which XML 1\.0 does not allow/],
    ['an empty key', (request) => page(request, [...firstTwo, object('broken/3.txt', 3)], (xml) => xml.replace('<Key>broken/3.txt</Key>', '<Key></Key>')), /empty key/],
    ['a key that is not valid URL-encoding', (request) => page(request, firstTwo, (xml) => xml.replace('broken/2.txt', 'broken/%E2%28.txt')), /a Key that cannot be read exactly: "broken\/%E2%28\.txt"/],
    ['a key with a + that may be a space or a plus', (request) => page(request, firstTwo, (xml) => xml.replace('broken/2.txt', 'broken/a+b.txt')), /a Key that cannot be read exactly/],
    ['a listing that is not URL-encoded', (request) => page({ ...request, urlEncoded: false }, firstTwo), /not URL-encoded, though encoding-type=url was asked for/],
    ['a key outside the prefix', (request) => page(request, [...firstTwo, object('elsewhere/1.txt')]), /"elsewhere\/1\.txt", which is not under the prefix/],
    ['a listing for another prefix', (request) => page({ ...request, prefix: 'other/' }, []), /for another prefix/],
    ['CommonPrefixes without a delimiter', (request) => page(request, firstTwo, (xml) => xml.replace('</ListBucketResult>', '<CommonPrefixes><Prefix>broken/x/</Prefix></CommonPrefixes></ListBucketResult>')), /CommonPrefixes/],
    ['an error document answered with 200', () => ({ body: '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>oops</Message></Error>' }), /<Error>, not a ListBucketResult/],
    ['bytes that are not UTF-8', (request) => ({ body: Buffer.concat([Buffer.from(page(request, firstTwo).body as string).subarray(0, 60), Buffer.from([0xff, 0xfe])]) }), /not UTF-8/],
    ['IsTruncated that is neither true nor false', (request) => page(request, firstTwo, (xml) => xml.replace('<IsTruncated>false', '<IsTruncated>maybe')), /IsTruncated is "maybe"/],
    ['two keys in one entry', (request) => page(request, firstTwo, (xml) => xml.replace('<Key>broken/2.txt</Key>', '<Key>broken/2.txt</Key><Key>broken/3.txt</Key>')), /<Key> twice in <Contents>/],
  ])('%s', async (_, answer, message) => {
    fake.onList(answer);
    const error = await listAll('broken/').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ListingError);
    expect((error as Error).message).toMatch(message);
  });

  it('ends a listing that keeps saying it goes on with fresh tokens and no keys', async () => {
    fake.onList((request) => page(request, request.token === undefined ? firstTwo : [], undefined, { truncated: true, nextToken: `t${request.index}` }));
    const before = fake.seen.list;
    await expect(listAll('broken/')).rejects.toThrow(/100 pages in a row with no key/);
    expect(fake.seen.list - before).toBe(101);
  });

  it(`drops a page over ${MAX_PAGE_BYTES} bytes unread`, async () => {
    fake.onList(() => ({ body: `<?xml version="1.0"?><ListBucketResult>${'<Padding>x</Padding>'.repeat(MAX_PAGE_BYTES / 10)}</ListBucketResult>` }));
    await expect(listAll('broken/')).rejects.toThrow(`larger than ${MAX_PAGE_BYTES} bytes`);
  });

  it('refuses a page whose connection breaks off before its Content-Length', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': '5000' });
      res.write('<?xml version="1.0"?><ListBucketResult><EncodingType>url</EncodingType>');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const broken = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR });
    try {
      const pages = listObjects(broken, { bucket: BUCKET });
      await expect(pages.next()).rejects.toThrow(/broke off|aborted|socket hang up/);
    } finally {
      broken.close();
      server.close();
    }
  });

  it('yields the pages before the wrong one, and nothing of it', async () => {
    fake.onList((request) =>
      request.token === undefined
        ? page(request, firstTwo, undefined, { truncated: true, nextToken: 'next' })
        : page(request, [object('broken/3.txt', 3), object('broken/4.txt', 4)], (xml) => xml.replace('broken/4.txt', '&bad;')),
    );
    const seen: string[][] = [];
    const error = await (async () => {
      for await (const listed of listObjects(client, { bucket: BUCKET, prefix: 'broken/' })) seen.push(listed.map((entry) => entry.key));
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ListingError);
    expect(seen).toEqual([['broken/1.txt', 'broken/2.txt']]);
  });
});

describe('the fake bucket encodes as OSS documents', () => {
  it('encodes every byte outside the unreserved set, a space as %20 and a + as %2B', () => {
    expect(urlEncode('a b+c/ü\x01')).toBe('a%20b%2Bc/%C3%BC%01');
  });
});

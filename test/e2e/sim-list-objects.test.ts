import OSS from 'ali-oss';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { tempDir } from '../support/temp-dir.js';

/** The simulator's ListObjectsV2, read by the unmodified ali-oss `listV2`, signed V1 and V4. */
const BUCKET = 'list-bucket';
const PAIR = { accessKeyId: 'LTAI-list-test', accessKeySecret: 'list-test-secret' };
const KEYS = ['a/1.txt', 'a/2.txt', 'a/b/3.txt', 'a/b/4.txt', 'a/c/5.txt', 'b.txt', 'z/ä ö.txt'];

let sim: Simulator;
const dir = tempDir('oss-sim-list-');

function client(options: Partial<OSS.Options> = {}): OSS {
  return new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, region: 'oss-cn-hangzhou', ...PAIR, ...options });
}

beforeAll(async () => {
  sim = await startSimulator({ dataDir: join(dir, 'data'), bucket: BUCKET, credentials: PAIR });
  for (const key of KEYS) await client().put(key, Buffer.from(key));
});

afterAll(async () => {
  await sim?.close();
});

async function listAll(oss: OSS, query: Record<string, string | number>) {
  const pages: { names: string[]; prefixes: string[] | null; keyCount: number }[] = [];
  let token: string | null = null;
  do {
    const result: Awaited<ReturnType<OSS['listV2']>> = await oss.listV2({ ...query, ...(token ? { 'continuation-token': token } : {}) }, {});
    pages.push({ names: result.objects.map((object) => object.name), prefixes: result.prefixes, keyCount: result.keyCount });
    token = result.isTruncated ? result.nextContinuationToken : null;
  } while (token);
  return pages;
}

describe('ListObjectsV2, as ali-oss listV2 reads it', () => {
  it.each([
    ['V1', {}],
    ['V4', { authorizationV4: true }],
  ] as const)('pages through every key in byte order (%s-signed)', async (_, options) => {
    const pages = await listAll(client(options), { 'max-keys': 3 });
    expect(pages.map((page) => page.names)).toEqual([KEYS.slice(0, 3), KEYS.slice(3, 6), KEYS.slice(6)]);
    expect(pages.map((page) => page.keyCount)).toEqual([3, 3, 1]);
  });

  it('reports each object as OSS does: quoted upper-case ETag, size, ISO 8601 time, storage class', async () => {
    const { objects, isTruncated, keyCount } = await client().listV2({ prefix: 'b' }, {});
    expect(isTruncated).toBe(false);
    expect(keyCount).toBe(1);
    expect(objects).toEqual([
      expect.objectContaining({
        name: 'b.txt',
        etag: `"${createHash('md5').update('b.txt').digest('hex').toUpperCase()}"`,
        size: 5,
        storageClass: 'Standard',
        type: 'Normal',
        lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      }),
    ]);
  });

  it('filters by prefix and start-after, and groups by delimiter, a common prefix counting as one key', async () => {
    expect((await listAll(client(), { prefix: 'a/', 'start-after': 'a/2.txt' })).flatMap((page) => page.names)).toEqual(['a/b/3.txt', 'a/b/4.txt', 'a/c/5.txt']);
    const grouped = await listAll(client(), { prefix: 'a/', delimiter: '/', 'max-keys': 2 });
    expect(grouped).toEqual([
      { names: ['a/1.txt', 'a/2.txt'], prefixes: null, keyCount: 2 },
      { names: [], prefixes: ['a/b/', 'a/c/'], keyCount: 2 },
    ]);
  });

  it('url-encodes keys when asked (encoding-type=url)', async () => {
    const { objects } = await client().listV2({ prefix: 'z/', 'encoding-type': 'url' }, {});
    expect(objects.map((object) => object.name)).toEqual([encodeURIComponent('z/ä ö.txt')]);
  });

  it('refuses a listing signed with the wrong secret, and a continuation token it did not issue', async () => {
    await expect(client({ accessKeySecret: 'wrong' }).listV2({}, {})).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expect(client().listV2({ 'continuation-token': 'not-a-token' }, {})).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });
});

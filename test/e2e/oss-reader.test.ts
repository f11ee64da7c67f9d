import OSS from 'ali-oss';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AliyunCredentials } from '../../lib/credentials.js';
import { createOssClient, OssRefusal, OssUnreachable, type OssClient } from '../../lib/oss/client.js';
import { headObject } from '../../lib/oss/head-object.js';
import { listObjects } from '../../lib/oss/list-objects.js';
import { bucketOrigin, ossLocation } from '../../lib/oss/location.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { reference as referenceCrc64 } from '../unit/sim/crc64-reference.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The OSS reader (reconcile and confirm mode) against simulators that check request signatures as
 * OSS does: V4-signed ListObjectsV2 and HeadObject with an access key pair, and with STS credentials.
 */
const BUCKET = 'reader-bucket';
const PAIR = { accessKeyId: 'LTAI-reader', accessKeySecret: 'reader-secret' };
const STS = { accessKeyId: 'STS.reader', accessKeySecret: 'sts-secret', securityToken: 'sts-token-value' };

const dir = tempDir('oss-reader-');
let sim: Simulator;
let stsSim: Simulator;
const clients: OssClient[] = [];

function reader(target: Simulator, credentials: AliyunCredentials | undefined): OssClient {
  const client = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: target.url }, { region: 'region', endpoint: 'endpoint' }), credentials: () => credentials });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  sim = await startSimulator({ dataDir: join(dir, 'keys'), bucket: BUCKET, credentials: PAIR });
  stsSim = await startSimulator({ dataDir: join(dir, 'sts'), bucket: BUCKET, credentials: STS });
  const uploader = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, ...PAIR });
  for (let i = 0; i < 5; i++) await uploader.put(`photos/${i}.txt`, Buffer.from(`photo ${i}`));
  await uploader.put('photos/meta.txt', Buffer.from('with metadata'), { headers: { 'x-oss-meta-uid': '42', 'content-type': 'text/plain' } } as OSS.PutObjectOptions);
  await new OSS({ endpoint: stsSim.url, cname: true, bucket: BUCKET, accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret, stsToken: STS.securityToken }).put('sts.txt', Buffer.from('sts'));
});

afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([sim?.close(), stsSim?.close()]);
});

async function listAll(client: OssClient, prefix?: string, pageSize?: number) {
  const pages: string[][] = [];
  for await (const page of listObjects(client, { bucket: BUCKET, ...(prefix ? { prefix } : {}), ...(pageSize ? { pageSize } : {}) })) pages.push(page.map((object) => object.key));
  return pages;
}

describe('the OSS reader, V4-signed, against a simulator that checks signatures', () => {
  it('lists a prefix page by page, following continuation tokens', async () => {
    expect(await listAll(reader(sim, PAIR), 'photos/', 2)).toEqual([
      ['photos/0.txt', 'photos/1.txt'],
      ['photos/2.txt', 'photos/3.txt'],
      ['photos/4.txt', 'photos/meta.txt'],
    ]);
    const { value: page } = await listObjects(reader(sim, PAIR), { bucket: BUCKET, prefix: 'photos/0' }).next();
    expect(page).toEqual([{ key: 'photos/0.txt', etag: createHash('md5').update('photo 0').digest('hex').toUpperCase(), size: 7, lastModified: expect.any(String) }]);
  });

  it('reads an object with HeadObject: size, ETag, content type, CRC-64, Content-MD5, last-modified and user metadata', async () => {
    const facts = await headObject(reader(sim, PAIR), BUCKET, 'photos/meta.txt');
    const content = Buffer.from('with metadata');
    expect(facts).toEqual({
      bucket: BUCKET,
      key: 'photos/meta.txt',
      etag: createHash('md5').update(content).digest('hex').toUpperCase(),
      size: content.length,
      contentType: 'text/plain',
      contentMd5: createHash('md5').update(content).digest('base64'),
      crc64: referenceCrc64(content),
      lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      metadata: { uid: '42' },
    });
    expect(await headObject(reader(sim, PAIR), BUCKET, 'photos/absent.txt')).toBeUndefined();
  });

  it('signs with STS credentials, sending the security token', async () => {
    expect(await headObject(reader(stsSim, STS), BUCKET, 'sts.txt')).toMatchObject({ size: 3 });
    const { securityToken: _, ...withoutToken } = STS;
    await expect(headObject(reader(stsSim, withoutToken), BUCKET, 'sts.txt')).rejects.toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  it('reports what OSS refused, with its code: a wrong secret, an unknown key id', async () => {
    const wrongSecret = await listAll(reader(sim, { ...PAIR, accessKeySecret: 'wrong' })).catch((error: unknown) => error);
    expect(wrongSecret).toBeInstanceOf(OssRefusal);
    expect(wrongSecret).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect((wrongSecret as Error).message).not.toContain('wrong');
    await expect(headObject(reader(sim, { ...PAIR, accessKeyId: 'LTAI-other' }), BUCKET, 'photos/0.txt')).rejects.toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
  });

  it('says there are no credentials, rather than sending an unsigned request', async () => {
    await expect(headObject(reader(sim, undefined), BUCKET, 'photos/0.txt')).rejects.toThrow(/no OSS credentials to sign with: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET/);
  });
});

describe('the OSS reader without an answer', () => {
  it('gives up at its timeout, or as soon as the caller aborts, naming no credential', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const client = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: url }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR, timeoutMs: 100 });
    try {
      await expect(headObject(client, BUCKET, 'x')).rejects.toBeInstanceOf(OssUnreachable);
      const reason = new Error('the deadline passed');
      await expect(headObject(client, BUCKET, 'x', AbortSignal.abort(reason))).rejects.toBe(reason);
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 20);
      await expect(createOssClient({ location: client.location, credentials: () => PAIR }).send({ method: 'HEAD', bucket: BUCKET, key: 'x', signal: controller.signal })).rejects.toBe(reason);
    } finally {
      client.close();
      silent.closeAllConnections();
      silent.close();
    }
    const refused = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: 'http://127.0.0.1:9' }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR });
    const error = await headObject(refused, BUCKET, 'x').then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(OssUnreachable);
    expect(error?.message).not.toContain(PAIR.accessKeySecret);
    refused.close();
  });
});

describe('where the reader sends a bucket’s requests', () => {
  const at = (region: string | undefined, endpoint: string | undefined) => bucketOrigin('photos', ossLocation({ region, endpoint }, { region: 'OSS_REGION', endpoint: 'OSS_ENDPOINT' })).href;

  it('uses the virtual-hosted OSS host of the region, or of a region endpoint; any other endpoint as it is', () => {
    expect(at('cn-hangzhou', undefined)).toBe('https://photos.oss-cn-hangzhou.aliyuncs.com/');
    expect(at('oss-cn-shanghai', undefined)).toBe('https://photos.oss-cn-shanghai.aliyuncs.com/');
    expect(at(undefined, 'https://oss-cn-beijing-internal.aliyuncs.com')).toBe('https://photos.oss-cn-beijing-internal.aliyuncs.com/');
    expect(at('cn-hangzhou', 'https://files.example.com')).toBe('https://files.example.com/');
    expect(at('cn-hangzhou', 'http://127.0.0.1:9100')).toBe('http://127.0.0.1:9100/');
  });

  it('refuses what it cannot sign for or reach, naming the variable', () => {
    expect(() => at(undefined, 'https://files.example.com')).toThrow(/^OSS_REGION is required/);
    expect(() => at('hangzhou', undefined)).toThrow(/^OSS_REGION must be a region id such as cn-hangzhou/);
    expect(() => at('cn-hangzhou', 'files.example.com')).toThrow(/^OSS_ENDPOINT must be a URL/);
    expect(() => at('cn-hangzhou', 'https://user:pw@files.example.com')).toThrow(/^OSS_ENDPOINT must not carry credentials/);
    expect(() => at('cn-hangzhou', 'https://files.example.com/bucket')).toThrow(/^OSS_ENDPOINT must be an origin/);
  });
});

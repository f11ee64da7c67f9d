import OSS from 'ali-oss';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { uploadId } from '../../lib/store/upload-id.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { reference as referenceCrc64 } from '../unit/sim/crc64-reference.js';
import { makeJpeg, makePng } from './sim-support/images.js';

/**
 * The whole local flow as `npm run dev` wires it: the unmodified ali-oss client uploads to the
 * simulator, which calls the real receiver (node:http door, SQLite store) with the trust the
 * simulator's trusted-keys file gives it.
 */
const BUCKET = 'flow-bucket';
const md5 = (data: Buffer) => createHash('md5').update(data);

let dir: string;
let sim: Simulator;
let receiver: LocalServer;
let client: OSS;
let callbackUrl: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oss-sim-flow-'));
  const trustedKeys = join(dir, 'trusted-keys.json');
  sim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, trustedKeysOut: trustedKeys });
  const config = loadConfig({ UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, LOG_LEVEL: 'silent' });
  receiver = await startLocalServer({ config, port: 0, logger: silentLogger });
  callbackUrl = `${receiver.url}/oss/callback`;
  client = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, accessKeyId: 'dev-id', accessKeySecret: 'dev-secret' });
});

afterAll(async () => {
  await receiver?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

const stored = (prefix: string) => receiver.store.list({ bucket: BUCKET, prefix });
const answered = (data: unknown) => (data as { Status: string; record: UploadRecord }).record;

describe('ali-oss → simulator → receiver', () => {
  it('put with a callback returns the receiver JSON and records the upload as OSS describes it', async () => {
    const content = Buffer.from('recorded once\n');
    const result = await client.put('put/recorded.txt', content, { callback: { url: callbackUrl, body: callbackBodyTemplate('form') } });
    expect(result.data).toMatchObject({ Status: 'OK' });
    const reqId = (result.res.headers as Record<string, string>)['x-oss-request-id']!;
    const etag = md5(content).digest('hex').toUpperCase();
    const expected = {
      // An upload with an ETag is keyed by it, so a listing or an event finds the same record.
      id: uploadId({ bucket: BUCKET, object: 'put/recorded.txt', etag }, { reqId }),
      bucket: BUCKET,
      object: 'put/recorded.txt',
      etag,
      size: content.length,
      mimeType: 'text/plain',
      crc64: referenceCrc64(content),
      contentMd5: md5(content).digest('base64'),
      operation: 'PutObject',
      reqId,
      clientIp: '127.0.0.1',
      image: null,
    };
    expect(answered(result.data)).toMatchObject(expected);
    expect(await stored('put/')).toEqual([expect.objectContaining(expected)]);
  });

  it('carries custom variables, in form and JSON mode', async () => {
    const form = await client.put('vars/form.txt', Buffer.from('a'), {
      callback: { url: callbackUrl, body: callbackBodyTemplate('form', ['uid', 'order']), customValue: { uid: '42', order: 'A-7' } },
    });
    const json = await client.put('vars/json.txt', Buffer.from('b'), {
      callback: { url: callbackUrl, body: callbackBodyTemplate('json', ['uid']), contentType: 'application/json', customValue: { uid: '43' } },
    });
    expect(answered(form.data).vars).toEqual({ 'x:uid': '42', 'x:order': 'A-7' });
    expect(answered(json.data)).toMatchObject({ object: 'vars/json.txt', vars: { 'x:uid': '43' } });
    expect(await receiver.store.list({ variable: { name: 'x:uid', value: '42' } })).toHaveLength(1);
  });

  it('a PostObject form upload made with fetch and FormData gets the callback', async () => {
    const callback = Buffer.from(JSON.stringify({ callbackUrl, callbackBody: callbackBodyTemplate('form', ['uid']) })).toString('base64');
    const signed = client.calculatePostSignature({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ callback }] });
    const body = new FormData();
    body.append('key', 'post/${filename}');
    body.append('OSSAccessKeyId', signed.OSSAccessKeyId);
    body.append('policy', signed.policy);
    body.append('Signature', signed.Signature);
    body.append('Content-Type', 'text/csv');
    body.append('callback', callback);
    body.append('x:uid', '7');
    body.append('file', new Blob(['a,b\n1,2\n']), 'table.csv');
    const response = await fetch(`${sim.url}/`, { method: 'POST', body });
    expect(response.status).toBe(200);
    const record = answered(await response.json());
    expect(record).toMatchObject({ object: 'post/table.csv', size: 8, mimeType: 'text/csv', operation: 'PostObject', vars: { 'x:uid': '7' } });
    expect(await stored('post/')).toHaveLength(1);
  });

  it('multipartUpload with a callback records one upload with the whole size and the multipart etag', async () => {
    const content = randomBytes(320 * 1024);
    const file = join(dir, 'multipart.bin');
    await writeFile(file, content);
    const result = await client.multipartUpload('multipart/big.bin', file, { partSize: 128 * 1024, callback: { url: callbackUrl, body: callbackBodyTemplate('form') } });
    const parts = [0, 1, 2].map((index) => md5(content.subarray(index * 131_072, (index + 1) * 131_072)).digest());
    const etag = `${md5(Buffer.concat(parts)).digest('hex').toUpperCase()}-3`;
    expect(answered(result.data)).toMatchObject({ size: content.length, etag, contentMd5: null, operation: 'CompleteMultipartUpload', crc64: referenceCrc64(content) });
    expect(await stored('multipart/')).toEqual([expect.objectContaining({ size: content.length, etag })]);
  });

  it.each([
    ['PNG', 'images/gradient.png', makePng(64, 40), { width: 64, height: 40, format: 'png' }],
    ['JPEG', 'images/grey.jpg', makeJpeg(32, 24), { width: 32, height: 24, format: 'jpg' }],
  ] as const)('records the image fields of a %s', async (_type, key, bytes, image) => {
    const result = await client.put(key, bytes, { callback: { url: callbackUrl, body: callbackBodyTemplate('json'), contentType: 'application/json' } });
    expect(answered(result.data).image).toEqual(image);
  });
});

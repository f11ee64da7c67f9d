import OSS from 'ali-oss';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { reference as referenceCrc64 } from '../unit/sim/crc64-reference.js';
import { startTestReceiver } from './sim-support/receiver.js';

const BUCKET = 'sim-bucket';
const md5Hex = (data: Buffer) => createHash('md5').update(data).digest('hex').toUpperCase();

let dir: string;
let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startTestReceiver>>;
let client: OSS;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oss-sim-'));
  sim = await startSimulator({ dataDir: join(dir, 'data'), bucket: BUCKET, trustedKeysOut: join(dir, 'trusted-keys.json'), callbackTimeoutMs: 800 });
  receiver = await startTestReceiver(join(dir, 'trusted-keys.json'));
  client = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, accessKeyId: 'any-id', accessKeySecret: 'any-secret' });
});

afterAll(async () => {
  await receiver?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  receiver.behave('json');
  receiver.received.length = 0;
});

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('PutObject with a callback', () => {
  it('relays the receiver JSON in result.data, signed with the key the trusted-keys file pins', async () => {
    const content = Buffer.from('hello, simulated OSS\n');
    const result = await client.put('docs/hello world.txt', content, {
      callback: { url: `${receiver.url}/oss/callback?tenant=7`, body: callbackBodyTemplate('form') },
    });
    expect(result.data).toEqual({ Status: 'OK', received: 1 });
    const [callback] = receiver.received;
    expect(callback).toMatchObject({ path: '/oss/callback', query: 'tenant=7', verified: true });
    expect(callback!.headers).toMatchObject({
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'aliyun-oss-callback',
      'x-oss-bucket': BUCKET,
      'x-oss-signature-version': '1.0',
      'x-oss-tag': 'CALLBACK',
      'content-md5': createHash('md5').update(callback!.body).digest('base64'),
    });
    const headers = result.res.headers as Record<string, string>;
    expect(form(callback!.body)).toEqual({
      bucket: BUCKET,
      object: 'docs/hello world.txt',
      etag: md5Hex(content),
      size: String(content.length),
      mimeType: 'text/plain',
      'imageInfo.height': '',
      'imageInfo.width': '',
      'imageInfo.format': '',
      crc64: referenceCrc64(content),
      contentMd5: createHash('md5').update(content).digest('base64'),
      vpcId: '',
      clientIp: '127.0.0.1',
      reqId: headers['x-oss-request-id'],
      operation: 'PutObject',
    });
    // Form mode URL-encodes values: the raw body carries %2F and %20, not / and spaces.
    expect(callback!.body).toContain('object=docs%2Fhello%20world.txt');
    expect(headers['etag']).toBe(`"${md5Hex(content)}"`);
  });

  it('passes custom variables, and renders JSON mode with typed, quoted values', async () => {
    const content = randomBytes(4096);
    const result = await client.put('vars.bin', content, {
      mime: 'application/octet-stream',
      callback: {
        url: `${receiver.url}/json`,
        body: callbackBodyTemplate('json', ['uid', 'note']),
        contentType: 'application/json',
        customValue: { uid: '42', note: 'a "quoted" / note' },
      },
    });
    expect(result.data).toMatchObject({ Status: 'OK' });
    const { body, verified } = receiver.received[0]!;
    expect(verified).toBe(true);
    const crc = referenceCrc64(content);
    // crc64 is a bare number above 2^53: it must arrive as digits, never rounded.
    expect(body).toContain(`"crc64":${crc}`);
    expect(JSON.parse(body)).toMatchObject({
      bucket: BUCKET,
      object: 'vars.bin',
      size: 4096,
      imageInfo: { height: null, width: null, format: null },
      vpcId: null,
      'x:uid': '42',
      'x:note': 'a "quoted" / note',
      operation: 'PutObject',
    });
  });

  it('sends callbackHost as the Host header, which the signature does not cover', async () => {
    await client.put('host.txt', Buffer.from('h'), { callback: { url: `${receiver.url}/h`, host: 'uploads.example.com', body: 'o=${object}' } });
    expect(receiver.received[0]).toMatchObject({ verified: true, headers: { host: 'uploads.example.com' } });
  });

  it('stores the object, and the x-oss-hash-crc64ecma the client gets matches its own CRC-64', async () => {
    const content = randomBytes(70_000);
    const put = await client.put('crc/check.bin', content);
    const headers = put.res.headers as Record<string, string>;
    expect(headers['x-oss-hash-crc64ecma']).toBe(referenceCrc64(content));
    const got = await client.get('crc/check.bin');
    expect(Buffer.compare(got.content as Buffer, content)).toBe(0);
    expect((got.res.headers as Record<string, string>)['x-oss-hash-crc64ecma']).toBe(referenceCrc64(content));
    const head = await client.head('crc/check.bin');
    expect((head.res.headers as Record<string, string>)['content-length']).toBe(String(content.length));
  });
});

describe('PostObject policy', () => {
  it('refuses a file outside the policy length range and keeps nothing', async () => {
    const policy = { expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [['content-length-range', 1, 4]] };
    const signed = client.calculatePostSignature(policy);
    const body = new FormData();
    body.append('key', 'too-long.txt');
    body.append('OSSAccessKeyId', signed.OSSAccessKeyId);
    body.append('policy', signed.policy);
    body.append('Signature', signed.Signature);
    body.append('file', new Blob(['more than four bytes']), 'x.txt');
    const response = await fetch(`${sim.url}/`, { method: 'POST', body });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Invalid according to Policy: Policy Condition failed: ["content-length-range", 1, 4]');
    await expect(client.head('too-long.txt')).rejects.toMatchObject({ status: 404 });
  });
});

describe('callback failures give 203 CallbackFailed and keep the object', () => {
  it.each([
    ['answers 500', 'status500', 'Error status : 500.'],
    ['answers plain text', 'text', 'Response body is not valid json format.'],
    ['answers without Content-Length', 'chunked', 'Error Status : 400.User server return no content-length value'],
    ['does not answer in time', 'slow', /^Error status : -1 127\.0\.0\.1:\d+ reply timeout, cost:800ms, timeout:800ms$/],
  ] as const)('when the receiver %s', async (_case, behaviour, message) => {
    receiver.behave(behaviour);
    const key = `failed/${behaviour}.txt`;
    const error = await client.put(key, Buffer.from('kept anyway'), { callback: { url: `${receiver.url}/cb`, body: 'object=${object}' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 203, code: 'CallbackFailed', name: 'CallbackFailedError' });
    expect((error as Error).message).toMatch(message);
    expect(receiver.received).toHaveLength(1);
    expect((await client.get(key)).content.toString()).toBe('kept anyway');
  });

  it('tries the next URL when one cannot be reached', async () => {
    const result = await client.put('second-url.txt', Buffer.from('x'), { callback: { url: `http://127.0.0.1:1/nothing;${receiver.url}/second`, body: 'o=${object}' } });
    expect(result.data).toMatchObject({ Status: 'OK' });
    expect(receiver.received.map((callback) => callback.path)).toEqual(['/second']);
  });
});

describe('invalid callback parameters', () => {
  it.each([
    ['not base64', 'error argument', undefined, 'The callback configuration is not base64 encoded.'],
    ['six URLs', { callbackUrl: 'a.cn;b.cn;c.cn;d.cn;e.cn;f.cn', callbackBody: 'a=1' }, undefined, 'The number of callback url exceed max value.'],
    ['callbackSNI as a string', { callbackUrl: 'a.cn', callbackBody: 'a=1', callbackSNI: 'true' }, undefined, 'The callback sni is invalid.'],
    ['a broken variable', { callbackUrl: 'a.cn', callbackBody: 'v=$x:v}' }, undefined, 'Left brace must be adjacent to dollar sign.'],
    ['a callback-var key without x:', { callbackUrl: 'a.cn', callbackBody: 'a=1' }, { uid: '1' }, 'The callback var is not expecten json.'],
  ])('answers 400 InvalidArgument for %s before storing anything', async (_case, callback, callbackVar, message) => {
    const headers: Record<string, string> = {
      'x-oss-callback': typeof callback === 'string' ? callback : Buffer.from(JSON.stringify(callback)).toString('base64'),
    };
    if (callbackVar) headers['x-oss-callback-var'] = Buffer.from(JSON.stringify(callbackVar)).toString('base64');
    const key = `invalid/${randomBytes(4).toString('hex')}.txt`;
    const error = await client.put(key, Buffer.from('never stored'), { headers }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message });
    await expect(client.head(key)).rejects.toMatchObject({ status: 404 });
    expect(receiver.received).toHaveLength(0);
  });
});

describe('the callback key', () => {
  it('is served at the key URL the callbacks name, and that path holds no objects', async () => {
    const served = await fetch(sim.keyUrl);
    expect(await served.text()).toBe(sim.publicKeyPem);
    const put = await fetch(sim.keyUrl, { method: 'PUT', body: 'swap the key' });
    expect(put.status).toBe(400);
    expect(await put.text()).toContain('<Code>InvalidObjectName</Code>');
    const slash = await fetch(`${sim.url}//leading-slash.txt`, { method: 'PUT', body: 'x' });
    expect(slash.status).toBe(400);
  });
});

describe('bucket', () => {
  it('answers NoSuchBucket to a client configured for another bucket', async () => {
    const other = new OSS({ endpoint: sim.url, cname: true, bucket: 'other-bucket', accessKeyId: 'a', accessKeySecret: 'b' });
    await expect(other.put('x.txt', Buffer.from('x'))).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
  });
});

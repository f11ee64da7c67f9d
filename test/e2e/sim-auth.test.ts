import OSS from 'ali-oss';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCallbackParam } from '../../lib/protocol/callback-param.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { startTestReceiver } from './sim-support/receiver.js';

const BUCKET = 'auth-bucket';
const PAIR = { accessKeyId: 'LTAI-sim-test', accessKeySecret: 'sim-test-secret' };

let dir: string;
let sim: Simulator;
let receiver: Awaited<ReturnType<typeof startTestReceiver>>;

function clientWith(overrides: Partial<OSS.Options> = {}): OSS {
  return new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, region: 'oss-cn-hangzhou', ...PAIR, ...overrides });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oss-sim-auth-'));
  sim = await startSimulator({ dataDir: join(dir, 'data'), bucket: BUCKET, credentials: PAIR, trustedKeysOut: join(dir, 'trusted.json') });
  receiver = await startTestReceiver(join(dir, 'trusted.json'));
});

afterAll(async () => {
  await receiver?.close();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

const callback = () => ({ url: `${receiver.url}/cb`, body: 'object=${object}&size=${size}' });

describe('a simulator started with an access key pair', () => {
  it.each([
    ['V1', {}],
    ['V4', { authorizationV4: true }],
  ] as const)('accepts %s-signed uploads, multipart included', async (_version, options) => {
    const client = clientWith(options);
    const put = await client.put(`signed/${_version}.txt`, Buffer.from('signed'), { callback: callback() });
    expect(put.data).toMatchObject({ Status: 'OK' });
    const multipart = await client.multipartUpload(`signed/${_version}.bin`, Buffer.alloc(150 * 1024, 7), { partSize: 100 * 1024, callback: callback() });
    expect(multipart.data).toMatchObject({ Status: 'OK' });
    expect((await client.get(`signed/${_version}.txt`)).content.toString()).toBe('signed');
  });

  it.each([
    ['V1', {}],
    ['V4', { authorizationV4: true }],
  ] as const)('refuses a %s request signed with the wrong secret, and stores nothing', async (version, options) => {
    const wrong = clientWith({ ...options, accessKeySecret: 'not-the-secret' });
    const key = `wrong/${version}.txt`;
    const error = await wrong.put(key, Buffer.from('x'), { callback: callback() }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expect(clientWith().head(key)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an unknown access key id and an unsigned request', async () => {
    await expect(clientWith({ accessKeyId: 'LTAI-other' }).put('x.txt', Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    const anonymous = await fetch(`${sim.url}/x.txt`, { method: 'PUT', body: 'x' });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('accepts presigned V1 and V4 URLs carrying the callback in the query', async () => {
    // ali-oss will not presign for an IP endpoint; the host is not signed, so sign for localhost.
    const named = new OSS({ endpoint: sim.url.replace('127.0.0.1', 'localhost'), cname: true, bucket: BUCKET, ...PAIR });
    const v1 = named.signatureUrl('presigned/v1.txt', { method: 'PUT', 'Content-Type': 'text/plain', callback: callback() }).replace('localhost', '127.0.0.1');
    const v4 = await clientWith().signatureUrlV4('PUT', 600, { headers: { 'Content-Type': 'text/plain' }, queries: { callback: buildCallbackParam(callback()) } }, 'presigned/v4.txt');
    for (const url of [v1, v4]) {
      const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'presigned' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ Status: 'OK' });
    }
    const tampered = await fetch(v1.replace('presigned%2Fv1.txt', 'presigned/other.txt').replace('presigned/v1.txt', 'presigned/other.txt'), { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(tampered.status).toBe(403);
  });

  it('checks a PostObject policy signature, V1 and V4', async () => {
    const client = clientWith();
    const policy = { expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: BUCKET }] };
    const signed = client.calculatePostSignature(policy);
    async function post(fields: Record<string, string>) {
      const body = new FormData();
      for (const [name, value] of Object.entries(fields)) body.append(name, value);
      body.append('file', new Blob(['posted']), 'f.txt');
      return fetch(`${sim.url}/`, { method: 'POST', body });
    }
    expect((await post({ key: 'post/v1.txt', OSSAccessKeyId: signed.OSSAccessKeyId, policy: signed.policy, Signature: signed.Signature })).status).toBe(204);
    const forged = await post({ key: 'post/forged.txt', OSSAccessKeyId: signed.OSSAccessKeyId, policy: signed.policy, Signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect((await post({ key: 'post/anonymous.txt' })).status).toBe(403);

    const date = new Date();
    const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const credential = `${PAIR.accessKeyId}/${stamp.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
    // OSS wants every V4 form field pinned in the policy.
    const v4Policy = {
      expiration: new Date(Date.now() + 60_000).toISOString(),
      conditions: [{ 'x-oss-signature-version': 'OSS4-HMAC-SHA256' }, { 'x-oss-credential': credential }, { 'x-oss-date': stamp }],
    };
    // ali-oss has this helper; its type declarations do not.
    const signV4 = (client as OSS & { signPostObjectPolicyV4(policy: object, date: Date): string }).signPostObjectPolicyV4.bind(client);
    const v4 = await post({
      key: 'post/v4.txt',
      'x-oss-signature-version': 'OSS4-HMAC-SHA256',
      'x-oss-credential': credential,
      'x-oss-date': stamp,
      policy: Buffer.from(JSON.stringify(v4Policy)).toString('base64'),
      'x-oss-signature': signV4(v4Policy, date),
      success_action_status: '201',
    });
    expect(v4.status).toBe(201);
    expect(await v4.text()).toContain('<Key>post/v4.txt</Key>');
  });

  it('refuses the callback in both the header and the query', async () => {
    const value = buildCallbackParam(callback());
    const error = await clientWith()
      .put('both.txt', Buffer.from('x'), { headers: { 'x-oss-callback': value }, subres: { callback: value } } as OSS.PutObjectOptions)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'InvalidArgument', message: 'Either the callback query string parameter or the x-oss-callback header should be specified, not both.' });
  });
});

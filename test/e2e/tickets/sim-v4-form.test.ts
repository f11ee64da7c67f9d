import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPostPolicyV4, v4SigningKey, type PolicySigner, type PostPolicy } from '../../../lib/protocol/post-policy-v4.js';
import { startSimulator, type Simulator } from '../../../sim/simulator.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The simulator as OSS for V4-signed PostObject forms: it checks the signature, wants the V4 fields
 * pinned in the policy, holds STS credentials to their token, and answers browsers from an allowed
 * origin (a bucket CORS rule).
 */
const BUCKET = 'v4-bucket';
const PAGE = 'http://127.0.0.1:4321';
const STS: PolicySigner = { accessKeyId: 'STS.test-id', accessKeySecret: 'sts-secret', securityToken: 'CAIS-token', region: 'cn-hangzhou' };

let sim: Simulator;

beforeAll(async () => {
  const dir = tempDir('oss-sim-v4-');
  sim = await startSimulator({ dataDir: dir, bucket: BUCKET, credentials: STS, corsOrigins: [PAGE] });
});

afterAll(async () => {
  await sim?.close();
});

const policy = (conditions: PostPolicy['conditions'] = [{ bucket: BUCKET }]): PostPolicy => ({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions });

async function post(fields: Record<string, string>, headers: Record<string, string> = {}) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  body.append('file', new Blob(['v4 form']), 'v4.txt');
  const response = await fetch(`${sim.url}/`, { method: 'POST', body, headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const code = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

describe('V4 PostObject forms on the simulator', () => {
  it('accepts a form signed by signPostPolicyV4 with STS credentials', async () => {
    const fields = signPostPolicyV4(policy(), STS, new Date());
    expect((await post({ key: 'v4/ok.txt', ...fields })).status).toBe(204);
  });

  it('refuses a V4 form whose policy does not pin x-oss-date', async () => {
    const date = new Date();
    const signed = signPostPolicyV4(policy(), STS, date);
    const unpinned = JSON.parse(Buffer.from(signed.policy, 'base64').toString()) as PostPolicy;
    unpinned.conditions = unpinned.conditions.filter((condition) => !('x-oss-date' in condition));
    // Re-sign the edited policy by hand, so only the missing pin is wrong.
    const encoded = Buffer.from(JSON.stringify(unpinned)).toString('base64');
    const signature = createHmac('sha256', v4SigningKey(STS.accessKeySecret, signed['x-oss-date'].slice(0, 8), 'cn-hangzhou')).update(encoded).digest('hex');
    const answer = await post({ key: 'v4/unpinned.txt', ...signed, policy: encoded, 'x-oss-signature': signature });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('the policy has no condition for x-oss-date');
  });

  it('holds STS credentials to their token', async () => {
    const { 'x-oss-security-token': _, ...withoutToken } = signPostPolicyV4(policy(), STS, new Date());
    expect(code((await post({ key: 'v4/no-token.txt', ...withoutToken })).text)).toBe('InvalidAccessKeyId');
    const wrong = signPostPolicyV4(policy(), { ...STS, securityToken: 'CAIS-other' }, new Date());
    expect(code((await post({ key: 'v4/wrong-token.txt', ...wrong })).text)).toBe('InvalidSecurityToken');
  });

  it('refuses a form dated more than 15 minutes ahead, or used more than 7 days after its date', async () => {
    const ahead = signPostPolicyV4(policy(), STS, new Date(Date.now() + 20 * 60_000));
    expect(code((await post({ key: 'v4/ahead.txt', ...ahead })).text)).toBe('RequestTimeTooSkewed');
    const old = signPostPolicyV4(policy(), STS, new Date(Date.now() - 8 * 24 * 3600_000));
    const answer = await post({ key: 'v4/old.txt', ...old });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('Request has expired.');
  });

  it('answers a CORS preflight from an allowed origin and refuses another, as a bucket CORS rule does', async () => {
    const preflight = (origin: string) =>
      fetch(`${sim.url}/`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const allowed = await preflight(PAGE);
    expect(allowed.status).toBe(200);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type',
      'access-control-expose-headers': 'etag, x-oss-request-id, x-oss-hash-crc64ecma, content-md5',
      'access-control-max-age': '600',
    });
    const refused = await preflight('http://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(code(await refused.text())).toBe('AccessForbidden');
  });

  it('lets the allowed page read the answer to its upload, errors included', async () => {
    const ok = await post({ key: 'v4/cors.txt', ...signPostPolicyV4(policy(), STS, new Date()) }, { origin: PAGE });
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
    const refused = await post({ key: 'v4/cors-refused.txt' }, { origin: PAGE });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect((await post({ key: 'v4/other.txt' }, { origin: 'http://evil.example' })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

import OSS from 'ali-oss';
import { describe, expect, it } from 'vitest';
import { signPostPolicyV4, standardRegion, v4Date, type PostPolicy } from '../../../lib/protocol/post-policy-v4.js';

/** ali-oss 6.x types do not declare the V4 policy signer, but every client has it. */
type V4Client = OSS & { signPostObjectPolicyV4(policy: object | string, date: Date): string };

const policy: PostPolicy = {
  expiration: '2025-03-01T12:10:00.000Z',
  conditions: [
    { bucket: 'photos' },
    ['starts-with', '$key', 'uploads/alice/'],
    ['content-length-range', 0, 1048576],
    ['eq', '$content-type', 'image/png'],
    { callback: 'eyJjYWxsYmFja1VybCI6Imh0dHBzOi8vZXhhbXBsZS5jb20vY2IifQ==' },
  ],
};

function decoded(base64: string): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
}

describe('PostObject policy, signature V4', () => {
  it.each([
    ['long-term keys', undefined, 'cn-hangzhou', new Date('2025-03-01T12:00:00.000Z')],
    ['STS credentials, oss- region spelling, a date near midnight', 'CAIS-sts-token==', 'oss-ap-southeast-1', new Date('2025-12-31T23:59:59.999Z')],
  ])('signs as ali-oss signPostObjectPolicyV4 does (%s)', (_, securityToken, region, date) => {
    const signer = { accessKeyId: 'LTAI-test-id', accessKeySecret: 'test-secret/with+chars', region, ...(securityToken ? { securityToken } : {}) };
    const fields = signPostPolicyV4(policy, signer, date);
    const client = new OSS({ region, accessKeyId: signer.accessKeyId, accessKeySecret: signer.accessKeySecret, bucket: 'photos' }) as V4Client;

    // ali-oss serializes the policy object it is given; hand it exactly what we signed.
    const expected = client.signPostObjectPolicyV4(decoded(fields.policy), date);
    expect(fields['x-oss-signature']).toBe(expected);
    expect(fields['x-oss-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(JSON.stringify(decoded(fields.policy))).toString('base64')).toBe(fields.policy);
  });

  it('pins the V4 form fields in the policy and names the day and region in the credential', () => {
    const date = new Date('2025-12-31T23:59:59.999Z');
    const fields = signPostPolicyV4(policy, { accessKeyId: 'AK', accessKeySecret: 'S', securityToken: 'TOKEN', region: 'oss-cn-beijing' }, date);
    expect(fields).toMatchObject({
      'x-oss-signature-version': 'OSS4-HMAC-SHA256',
      'x-oss-credential': 'AK/20251231/cn-beijing/oss/aliyun_v4_request',
      'x-oss-date': '20251231T235959Z',
      'x-oss-security-token': 'TOKEN',
    });
    expect(decoded(fields.policy)).toEqual({
      expiration: policy.expiration,
      conditions: [
        ...policy.conditions,
        { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
        { 'x-oss-credential': 'AK/20251231/cn-beijing/oss/aliyun_v4_request' },
        { 'x-oss-date': '20251231T235959Z' },
        { 'x-oss-security-token': 'TOKEN' },
      ],
    });
  });

  it('leaves the security token out when the credentials have none', () => {
    const fields = signPostPolicyV4(policy, { accessKeyId: 'AK', accessKeySecret: 'S', region: 'cn-hangzhou' }, new Date());
    expect(fields).not.toHaveProperty('x-oss-security-token');
    expect(JSON.stringify(decoded(fields.policy))).not.toContain('security-token');
  });

  it('formats dates and regions as V4 wants them', () => {
    expect(v4Date(new Date('2023-12-03T12:12:12.345Z'))).toBe('20231203T121212Z');
    expect(standardRegion('oss-cn-hangzhou')).toBe('cn-hangzhou');
    expect(standardRegion('cn-hangzhou')).toBe('cn-hangzhou');
  });

  it('a different secret, day or region gives another signature', () => {
    const base = { accessKeyId: 'AK', accessKeySecret: 'S', region: 'cn-hangzhou' };
    const date = new Date('2025-03-01T12:00:00Z');
    const signature = signPostPolicyV4(policy, base, date)['x-oss-signature'];
    expect(signPostPolicyV4(policy, { ...base, accessKeySecret: 'T' }, date)['x-oss-signature']).not.toBe(signature);
    expect(signPostPolicyV4(policy, { ...base, region: 'cn-beijing' }, date)['x-oss-signature']).not.toBe(signature);
    expect(signPostPolicyV4(policy, base, new Date('2025-03-02T12:00:00Z'))['x-oss-signature']).not.toBe(signature);
  });
});

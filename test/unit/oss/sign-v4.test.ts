import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signV4 } from '../../../lib/oss/sign-v4.js';

/** ali-oss's own V4 signer (what `authorizationV4: true` sends), the yardstick for the reader's. */
const signUtils = createRequire(import.meta.url)('ali-oss/lib/common/signUtils.js') as {
  authorizationV4(id: string, secret: string, region: string, method: string, request: { headers: Record<string, string>; queries: Record<string, string> }, bucket: string, object?: string): string;
};

const CREDENTIALS = { accessKeyId: 'LTAI5tExample', accessKeySecret: 'example-secret' };
const DATE = new Date('2026-03-01T08:09:10Z');

describe('the reader’s V4 signature', () => {
  it.each([
    ['HeadObject of a key with spaces, non-ASCII and reserved characters', 'HEAD', 'uploads/2026/cat photo ä+(1)*.jpg', {}],
    ['ListObjectsV2 with a prefix and a continuation token', 'GET', '', { 'list-type': '2', 'max-keys': '1000', prefix: 'uploads/ä b/', 'continuation-token': 'CgdhL2IudHh0EAA=' }],
  ])('is the one ali-oss computes: %s', (_, method, key, query) => {
    for (const credentials of [CREDENTIALS, { ...CREDENTIALS, securityToken: 'sts-token' }]) {
      const headers = signV4({ method, bucket: 'photos', key, query: Object.entries(query), headers: {} }, credentials, 'cn-hangzhou', DATE);
      const { authorization, ...signed } = headers;
      expect(signed).toEqual({
        'x-oss-date': '20260301T080910Z',
        'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
        ...('securityToken' in credentials ? { 'x-oss-security-token': credentials.securityToken } : {}),
      });
      const expected = signUtils.authorizationV4(credentials.accessKeyId, credentials.accessKeySecret, 'cn-hangzhou', method, { headers: signed, queries: query }, 'photos', key || undefined);
      expect(authorization).toBe(expected);
      expect(authorization).toMatch(/^OSS4-HMAC-SHA256 Credential=LTAI5tExample\/20260301\/cn-hangzhou\/oss\/aliyun_v4_request,Signature=[0-9a-f]{64}$/);
    }
  });
});

describe('the reader’s V4 signature on generated requests', () => {
  const query = fc.dictionary(
    fc.constantFrom('list-type', 'max-keys', 'prefix', 'continuation-token', 'start-after', 'delimiter', 'encoding-type', 'fetch-owner', 'versionId'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    { maxKeys: 5 },
  );
  const request = fc.record({
    method: fc.constantFrom('GET', 'HEAD'),
    bucket: fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
    key: fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), fc.array(fc.constantFrom('a', 'ä', ' ', '+', '(', ')', '*', "'", '!', '~', '%2F', '..', '/', '#', '?', '&', '='), { minLength: 1, maxLength: 20 }).map((parts) => parts.join(''))),
    query,
    region: fc.constantFrom('cn-hangzhou', 'cn-shanghai', 'ap-southeast-1', 'us-west-1', 'eu-central-1', 'cn-hongkong'),
    accessKeyId: fc.stringMatching(/^LTAI[A-Za-z0-9]{12,20}$/),
    accessKeySecret: fc.stringMatching(/^[A-Za-z0-9]{20,30}$/),
    securityToken: fc.option(fc.stringMatching(/^[A-Za-z0-9+/=]{20,120}$/), { nil: undefined }),
    date: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  });

  it('is the one ali-oss computes, for any key, query, region, credentials and time', () => {
    fc.assert(
      fc.property(request, ({ method, bucket, key, query, region, accessKeyId, accessKeySecret, securityToken, date }) => {
        const credentials = { accessKeyId, accessKeySecret, ...(securityToken && { securityToken }) };
        const { authorization, ...signed } = signV4({ method, bucket, key, query: Object.entries(query), headers: {} }, credentials, region, date);
        const expected = signUtils.authorizationV4(accessKeyId, accessKeySecret, region, method, { headers: signed, queries: query }, bucket, key || undefined);
        expect(authorization).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { OssError } from '../../../sim/oss-error.js';
import { checkLength, checkPolicy } from '../../../sim/post-policy.js';

const encode = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString('base64');
const later = new Date(Date.now() + 60_000).toISOString();
const fields = new Map([
  ['key', 'user/eric/a.png'],
  ['success_action_status', '201'],
  ['content-type', 'image/png'],
  ['cache-control', 'max-age=30'],
]);

function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof OssError) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an OssError');
}

describe('checkPolicy', () => {
  it('passes the documented example conditions and hands back the length range', () => {
    const conditions = [
      ['content-length-range', 1, 1024],
      ['eq', '$success_action_status', '201'],
      ['starts-with', '$key', 'user/eric/'],
      ['in', '$content-type', ['image/jpg', 'image/png']],
      ['not-in', '$cache-control', ['no-cache']],
      { bucket: 'b1' },
    ];
    const range = checkPolicy(encode({ expiration: later, conditions }), fields, 'b1');
    expect(range).toMatchObject({ min: 1, max: 1024 });
    expect(() => checkLength(range, 1024)).not.toThrow();
    expect(refusal(() => checkLength(range, 1025)).message).toBe('Invalid according to Policy: Policy Condition failed: ["content-length-range", 1, 1024]');
  });

  it.each([
    [['eq', '$success_action_status', '200'], 'Invalid according to Policy: Policy Condition failed: ["eq", "$success_action_status", "200"]'],
    [['starts-with', '$key', 'user/bob/'], 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/bob/"]'],
    [['in', '$content-type', ['image/jpg']], 'Invalid according to Policy: Policy Condition failed: ["in", "$content-type", ["image/jpg"]]'],
    [{ bucket: 'other' }, 'Invalid according to Policy: Policy Condition failed: {"bucket": "other"}'],
  ])('refuses a form that fails %j', (condition, message) => {
    expect(refusal(() => checkPolicy(encode({ expiration: later, conditions: [condition] }), fields, 'b1'))).toEqual({ status: 403, code: 'AccessDenied', message });
  });

  it('refuses an expired policy, a malformed one and a wrongly typed condition', () => {
    expect(refusal(() => checkPolicy(encode({ expiration: '2020-01-01T00:00:00Z', conditions: [] }), fields, 'b1')).message).toBe('Invalid according to Policy: Policy expired.');
    expect(refusal(() => checkPolicy('not json', fields, 'b1')).code).toBe('InvalidPolicyDocument');
    expect(refusal(() => checkPolicy(encode({ expiration: later, conditions: [['not-in', '$cache-control', 'no-cache']] }), fields, 'b1')).code).toBe('InvalidPolicyDocument');
  });
});

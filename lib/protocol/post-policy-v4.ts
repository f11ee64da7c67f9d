import { createHmac } from 'node:crypto';

/**
 * PostObject signed with OSS signature V4 ("POST V4 signature" in the OSS docs): the form carries the
 * base64 policy, `x-oss-signature-version`, `x-oss-credential`, `x-oss-date` (and
 * `x-oss-security-token` with STS credentials), and `x-oss-signature` = hex HMAC-SHA256 of the base64
 * policy under a key derived from the secret, the day, the region and the product. OSS wants those
 * fields pinned in the policy too, so `signPostPolicyV4` adds the conditions itself. ali-oss's
 * `signPostObjectPolicyV4` computes the same signature for the same policy (a test holds them equal).
 */
export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';

/** `{"field": "value"}` (exact match) or `["eq" | "starts-with" | "in" | "not-in", "$field", …]` or `["content-length-range", min, max]`. */
export type PolicyCondition = Readonly<Record<string, string>> | readonly [string, ...unknown[]];

export interface PostPolicy {
  /** ISO 8601 in UTC, e.g. `2025-01-01T12:00:00.000Z`. */
  expiration: string;
  conditions: PolicyCondition[];
}

export interface PolicySigner {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS credentials: the form must carry it, and the policy pins it. */
  securityToken?: string;
  /** The bucket's region id, `cn-hangzhou`; ali-oss's `oss-cn-hangzhou` spelling is accepted. */
  region: string;
}

/** Every field of a signed V4 form except the file, the key and what the caller adds. */
export interface SignedPolicyFields {
  policy: string;
  'x-oss-signature-version': typeof V4_ALGORITHM;
  'x-oss-credential': string;
  'x-oss-date': string;
  'x-oss-security-token'?: string;
  'x-oss-signature': string;
}

/** `20231203T121212Z`: ISO 8601 basic format, UTC, whole seconds. */
export function v4Date(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** The standard region id: ali-oss and older configs say `oss-cn-hangzhou`, V4 signs `cn-hangzhou`. */
export function standardRegion(region: string): string {
  return region.replace(/^oss-/, '');
}

/** HMAC-SHA256 chain: `aliyun_v4<secret>` → day → region → product → `aliyun_v4_request`. */
export function v4SigningKey(accessKeySecret: string, day: string, region: string, product = 'oss'): Buffer {
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
  return hmac(hmac(hmac(hmac(`aliyun_v4${accessKeySecret}`, day), region), product), 'aliyun_v4_request');
}

/**
 * Sign `policy` for a PostObject form. The returned `policy` is the base64 of the policy with the V4
 * fields pinned as exact conditions; post it unchanged with every other returned field.
 */
export function signPostPolicyV4(policy: PostPolicy, signer: PolicySigner, date: Date): SignedPolicyFields {
  const stamp = v4Date(date);
  const day = stamp.slice(0, 8);
  const region = standardRegion(signer.region);
  const fields = {
    'x-oss-signature-version': V4_ALGORITHM,
    'x-oss-credential': `${signer.accessKeyId}/${day}/${region}/oss/aliyun_v4_request`,
    'x-oss-date': stamp,
    ...(signer.securityToken ? { 'x-oss-security-token': signer.securityToken } : {}),
  } as const;
  const pinned: PostPolicy = {
    expiration: policy.expiration,
    conditions: [...policy.conditions, ...Object.entries(fields).map(([name, value]) => ({ [name]: value }))],
  };
  const encoded = Buffer.from(JSON.stringify(pinned), 'utf8').toString('base64');
  const signature = createHmac('sha256', v4SigningKey(signer.accessKeySecret, day, region)).update(encoded, 'utf8').digest('hex');
  return { policy: encoded, ...fields, 'x-oss-signature': signature };
}

import { createHash, createHmac } from 'node:crypto';
import type { AliyunCredentials } from '../credentials.js';
import { V4_ALGORITHM, v4Date, v4SigningKey } from '../protocol/post-policy-v4.js';

/**
 * OSS signature V4 in the Authorization header (`OSS4-HMAC-SHA256`, "Signature version 4" in the OSS
 * API reference), the signature ali-oss makes with `authorizationV4: true`. Chosen over V1 (HMAC-SHA1)
 * because OSS recommends it, it binds the signature to a region and a day, and its key derivation is
 * already here for V4 PostObject forms (post-policy-v4.ts).
 *
 * The canonical request: method, `/<bucket>/<key>` percent-encoded (RFC 3986, `/` kept), the query
 * sorted by name, every `content-type`, `content-md5` and `x-oss-*` header as `name:value`, an empty
 * additional-headers line, and `UNSIGNED-PAYLOAD` (the reader sends no body).
 */
export interface RequestToSign {
  method: string;
  bucket: string;
  /** The object key, decoded; '' for a bucket-level request. */
  key: string;
  /** Decoded names and values, as they go on the URL; no empty values. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Lower-case names. */
  headers: Record<string, string>;
}

const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** RFC 3986 percent-encoding: what `encodeURIComponent` leaves of `!'()*` is encoded too. */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The query as it goes on the URL and into the canonical request: encoded, sorted by name. */
export function canonicalQuery(query: RequestToSign['query']): string {
  return query
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function canonicalRequest(request: RequestToSign): string {
  const signed = Object.keys(request.headers)
    .filter((name) => name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-'))
    .sort(byCodeUnit)
    .map((name) => `${name}:${request.headers[name]!.trim()}\n`)
    .join('');
  const uri = rfc3986(`/${request.bucket}/${request.key}`).replace(/%2F/g, '/');
  return [request.method, uri, canonicalQuery(request.query), signed, '', UNSIGNED_PAYLOAD].join('\n');
}

/** The headers that sign `request` at `date`: x-oss-date, x-oss-content-sha256, the STS token, Authorization. */
export function signV4(request: RequestToSign, credentials: AliyunCredentials, region: string, date: Date): Record<string, string> {
  const stamp = v4Date(date);
  const day = stamp.slice(0, 8);
  const added: Record<string, string> = { 'x-oss-date': stamp, 'x-oss-content-sha256': UNSIGNED_PAYLOAD };
  if (credentials.securityToken) added['x-oss-security-token'] = credentials.securityToken;
  const scope = `${day}/${region}/oss/aliyun_v4_request`;
  const hashed = createHash('sha256').update(canonicalRequest({ ...request, headers: { ...request.headers, ...added } }), 'utf8').digest('hex');
  const stringToSign = [V4_ALGORITHM, stamp, scope, hashed].join('\n');
  const signature = createHmac('sha256', v4SigningKey(credentials.accessKeySecret, day, region)).update(stringToSign, 'utf8').digest('hex');
  return { ...added, authorization: `${V4_ALGORITHM} Credential=${credentials.accessKeyId}/${scope},Signature=${signature}` };
}

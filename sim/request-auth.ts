import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { OssError, ossErrors } from './oss-error.js';

export interface AccessKeyPair {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS credentials: every request must also carry this token, as OSS requires. */
  securityToken?: string;
}

/** A query parameter as sent: decoded name, decoded value, null when it had no `=` or an empty value. */
export type QueryParam = readonly [name: string, value: string | null];

export interface RequestToCheck {
  method: string;
  headers: Record<string, string>;
  query: readonly QueryParam[];
  bucket: string;
  /** The decoded object key; '' for a bucket-level request. */
  key: string;
}

/**
 * Query parameters OSS counts as sub-resources in a V1 signature (the SDKs' list); any other
 * parameter is left out of the canonicalized resource.
 */
const SUB_RESOURCES = new Set(
  (
    'acl uploads location cors logging website referer lifecycle delete append tagging objectMeta uploadId partNumber ' +
    'security-token position img style styleName replication replicationProgress replicationLocation cname bucketInfo ' +
    'comp qos live status vod startTime endTime symlink x-oss-process response-content-type response-content-language ' +
    'response-expires response-cache-control response-content-disposition response-content-encoding udf udfName ' +
    'udfImage udfId udfImageDesc udfApplication udfApplicationLog restore callback callback-var qosInfo policy stat ' +
    'encryption versions versioning versionId requestPayment x-oss-request-payer sequential inventory inventoryId ' +
    'continuation-token asyncFetch worm wormId wormExtend x-oss-traffic-limit objectInfo link group'
  ).split(' '),
);

const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
/** OSS refuses a request dated more than 15 minutes from its clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** A V4 PostObject form may be used for up to 7 days after its x-oss-date. */
const MAX_POLICY_AGE_MS = 7 * 24 * 60 * 60 * 1000;

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function mismatch(stringToSign: string, accessKeyId: string): OssError {
  return new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', [
    ['StringToSign', stringToSign],
    ['OSSAccessKeyId', accessKeyId],
  ]);
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function checkAccessKeyId(given: string, pair: AccessKeyPair): void {
  if (given !== pair.accessKeyId) throw new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', [['OSSAccessKeyId', given]]);
}

/** STS access key ids are only valid with their token (header, query or form field). */
function checkSecurityToken(given: string | undefined, pair: AccessKeyPair): void {
  if (pair.securityToken === undefined) return;
  if (given === undefined) throw new OssError(403, 'InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', [['OSSAccessKeyId', pair.accessKeyId]]);
  if (!sameText(given, pair.securityToken)) throw new OssError(403, 'InvalidSecurityToken', 'The security token you provided is invalid.');
}

function queryValue(query: readonly QueryParam[], name: string): string | undefined {
  const found = query.find(([key]) => key === name);
  return found ? (found[1] ?? '') : undefined;
}

// ---- V1: HMAC-SHA1 over verb, Content-MD5, Content-Type, date, x-oss-* headers, resource ----

function v1StringToSign(request: RequestToCheck, date: string): string {
  const { headers } = request;
  const ossHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-oss-'))
    .sort(byCodeUnit)
    .map((name) => `${name}:${headers[name]!.trim()}`);
  const subResources = request.query
    .filter(([name]) => SUB_RESOURCES.has(name))
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, value]) => (value ? `${name}=${value}` : name));
  const resource = `/${request.bucket}/${request.key}${subResources.length ? `?${subResources.join('&')}` : ''}`;
  return [request.method.toUpperCase(), headers['content-md5'] ?? '', headers['content-type'] ?? '', date, ...ossHeaders, resource].join('\n');
}

function hmacSha1(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

// ---- V4: HMAC-SHA256 chain over a canonical request, scoped to day / region / product ----

const rfc3986 = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function v4CanonicalRequest(request: RequestToCheck, additionalHeaders: readonly string[], payloadHash: string): string {
  const { headers } = request;
  const query = request.query
    .filter(([name]) => name !== 'x-oss-signature')
    .map(([name, value]) => [rfc3986(name), value ? rfc3986(value) : null] as const)
    .sort(([a], [b]) => byCodeUnit(a, b))
    .map(([name, value]) => (value === null ? name : `${name}=${value}`))
    .join('&');
  const signedHeaders = new Set(additionalHeaders);
  for (const name of Object.keys(headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signedHeaders.add(name);
  }
  const canonicalHeaders = [...signedHeaders]
    .sort(byCodeUnit)
    .map((name) => `${name}:${(headers[name] ?? '').trim()}\n`)
    .join('');
  const uri = rfc3986(`/${request.bucket}/${request.key}`).replace(/%2F/g, '/');
  return [request.method.toUpperCase(), uri, query, canonicalHeaders, additionalHeaders.join(';'), payloadHash].join('\n');
}

function v4Signature(secret: string, day: string, region: string, product: string, stringToSign: string): string {
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();
  const signingKey = hmac(hmac(hmac(hmac(`aliyun_v4${secret}`, day), region), product), 'aliyun_v4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

/** `AK/20240101/cn-hangzhou/oss/aliyun_v4_request`, checked against the pair and the request date. */
function parseCredential(credential: string, date: string, pair: AccessKeyPair) {
  const [accessKeyId = '', day = '', region = '', product = '', terminator] = credential.split('/');
  checkAccessKeyId(accessKeyId, pair);
  if (terminator !== 'aliyun_v4_request' || !region || !product || day !== date.slice(0, 8)) {
    throw new OssError(400, 'InvalidArgument', 'Invalid signing credential.', [['Credential', credential]]);
  }
  return { accessKeyId, day, region, product };
}

/** `20240101T000000Z` → epoch ms. */
function isoBasic(date: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  if (!match) throw new OssError(403, 'AccessDenied', 'Invalid x-oss-date.');
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d, h, mi, s);
}

function checkV4(request: RequestToCheck, pair: AccessKeyPair, fields: { credential: string; date: string; additional: string; signature: string; payloadHash: string }): void {
  const { accessKeyId, day, region, product } = parseCredential(fields.credential, fields.date, pair);
  const additional = fields.additional ? fields.additional.split(';').map((name) => name.trim().toLowerCase()).sort(byCodeUnit) : [];
  const canonical = v4CanonicalRequest(request, additional, fields.payloadHash);
  const stringToSign = [V4_ALGORITHM, fields.date, `${day}/${region}/${product}/aliyun_v4_request`, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
  if (!sameText(v4Signature(pair.accessKeySecret, day, region, product, stringToSign), fields.signature)) {
    throw mismatch(stringToSign, accessKeyId);
  }
}

function parseV4Header(authorization: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of authorization.slice(V4_ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return fields;
}

function checkSkew(at: number, now: number): void {
  if (!Number.isFinite(at)) throw new OssError(403, 'AccessDenied', 'Bad date format.');
  if (Math.abs(now - at) > MAX_SKEW_MS) {
    throw new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  }
}

/**
 * Check a request's OSS signature (V1 or V4, in the Authorization header or a presigned URL) against
 * the simulator's one access key pair, as OSS would; throws the OSS error a client would get.
 */
export function authenticate(request: RequestToCheck, pair: AccessKeyPair, now = Date.now()): void {
  const authorization = request.headers['authorization'];
  const { headers, query } = request;
  checkSecurityToken(headers['x-oss-security-token'] ?? queryValue(query, 'security-token') ?? queryValue(query, 'x-oss-security-token'), pair);
  if (authorization?.startsWith(`${V4_ALGORITHM} `)) {
    const fields = parseV4Header(authorization);
    const date = headers['x-oss-date'] ?? '';
    checkSkew(isoBasic(date), now);
    return checkV4(request, pair, {
      credential: fields.Credential ?? '',
      date,
      additional: fields.AdditionalHeaders ?? '',
      signature: fields.Signature ?? '',
      payloadHash: headers['x-oss-content-sha256'] ?? 'UNSIGNED-PAYLOAD',
    });
  }
  if (authorization?.startsWith('OSS ')) {
    const [accessKeyId = '', signature = ''] = authorization.slice(4).split(':');
    checkAccessKeyId(accessKeyId.trim(), pair);
    const date = headers['x-oss-date'] ?? headers['date'] ?? '';
    checkSkew(Date.parse(date), now);
    const stringToSign = v1StringToSign(request, date);
    if (!sameText(hmacSha1(pair.accessKeySecret, stringToSign), signature.trim())) throw mismatch(stringToSign, accessKeyId);
    return;
  }
  if (queryValue(query, 'x-oss-signature-version') === V4_ALGORITHM) {
    const date = queryValue(query, 'x-oss-date') ?? '';
    if (isoBasic(date) + Number(queryValue(query, 'x-oss-expires') ?? 0) * 1000 < now) throw ossErrors.accessDenied('Request has expired.');
    return checkV4(request, pair, {
      credential: queryValue(query, 'x-oss-credential') ?? '',
      date,
      additional: queryValue(query, 'x-oss-additional-headers') ?? '',
      signature: queryValue(query, 'x-oss-signature') ?? '',
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
  }
  const queryKeyId = queryValue(query, 'OSSAccessKeyId');
  if (queryKeyId !== undefined) {
    checkAccessKeyId(queryKeyId, pair);
    const expires = queryValue(query, 'Expires') ?? '';
    if (!(Number(expires) * 1000 >= now)) throw ossErrors.accessDenied('Request has expired.');
    const stringToSign = v1StringToSign(request, expires);
    if (!sameText(hmacSha1(pair.accessKeySecret, stringToSign), queryValue(query, 'Signature') ?? '')) throw mismatch(stringToSign, queryKeyId);
    return;
  }
  throw ossErrors.accessDenied();
}

/** PostObject: the policy is what is signed, V1 (base64 HMAC-SHA1) or V4 (the same key chain). */
export function authenticatePolicy(fields: ReadonlyMap<string, string>, policy: string, pair: AccessKeyPair, now = Date.now()): void {
  checkSecurityToken(fields.get('x-oss-security-token'), pair);
  if (fields.get('x-oss-signature-version') === V4_ALGORITHM) {
    const date = fields.get('x-oss-date') ?? '';
    const signedAt = isoBasic(date);
    if (signedAt - now > MAX_SKEW_MS) throw new OssError(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    if (now - signedAt > MAX_POLICY_AGE_MS) throw ossErrors.accessDenied('Request has expired.');
    const { accessKeyId, day, region, product } = parseCredential(fields.get('x-oss-credential') ?? '', date, pair);
    if (!sameText(v4Signature(pair.accessKeySecret, day, region, product, policy), fields.get('x-oss-signature') ?? '')) throw mismatch(policy, accessKeyId);
    return;
  }
  const accessKeyId = fields.get('ossaccesskeyid');
  if (accessKeyId === undefined) throw ossErrors.accessDenied();
  checkAccessKeyId(accessKeyId, pair);
  if (!sameText(hmacSha1(pair.accessKeySecret, policy), fields.get('signature') ?? '')) throw mismatch(policy, accessKeyId);
}

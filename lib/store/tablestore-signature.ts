import { createHash, createHmac } from 'node:crypto';
import type { AliyunCredentials } from '../credentials.js';

/** The protocol version every call names (`x-ots-apiversion`). */
export const API_VERSION = '2015-12-31';

export interface SignedRequest {
  /** `PutRow`, `GetRow`, …: the path is `/<operation>`. */
  operation: string;
  body: Uint8Array;
  instance: string;
  credentials: AliyunCredentials;
  date: Date;
}

/**
 * The `x-ots-*` headers of one request, signed as the SDK signs them (`tablestore` 5.6.5:
 * `lib/client.js` populateHeader and computeContentMd5, `lib/signer.js`): the body's MD5, the date
 * (ISO 8601, which Tablestore checks against its clock), the key id and the STS token when there is
 * one; then HMAC-SHA1 with the key secret over `/<operation>`, `POST`, an empty line and every
 * `x-ots-*` header as `name:value`, sorted by name, each line ending in `\n`.
 */
export function signedHeaders({ operation, body, instance, credentials, date }: SignedRequest): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ots-accesskeyid': credentials.accessKeyId,
    'x-ots-apiversion': API_VERSION,
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-date': date.toISOString(),
    'x-ots-instancename': instance,
  };
  if (credentials.securityToken) headers['x-ots-ststoken'] = credentials.securityToken;
  const canonical = Object.keys(headers)
    .sort()
    .map((name) => `${name}:${headers[name]}\n`)
    .join('');
  headers['x-ots-signature'] = createHmac('sha1', credentials.accessKeySecret).update(`/${operation}\nPOST\n\n${canonical}`).digest('base64');
  return headers;
}

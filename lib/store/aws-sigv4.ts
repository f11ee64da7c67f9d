import { createHash, createHmac } from 'node:crypto';
import { v4Date } from '../protocol/post-policy-v4.js';
import type { AwsCredentials } from './aws-credentials.js';

export interface SigV4Request {
  url: URL;
  region: string;
  service: string;
  /** Lower-case names; every one is signed. `host`, `x-amz-date` and the session token are added. */
  headers: Record<string, string>;
  body: string;
}

const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/**
 * AWS Signature Version 4 for a POST without a query string (every DynamoDB call is one): returns the
 * headers to send, `authorization` included. The path is signed as the endpoint gives it, so an
 * endpoint URL must not need percent-encoding.
 */
export function signSigV4(request: SigV4Request, credentials: AwsCredentials, now: Date): Record<string, string> {
  const stamp = v4Date(now);
  const day = stamp.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': stamp };
  if (credentials.sessionToken) headers['x-amz-security-token'] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    'POST',
    request.url.pathname || '/',
    '',
    ...names.map((name) => `${name}:${(headers[name] as string).trim()}`),
    '',
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), request.region), request.service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

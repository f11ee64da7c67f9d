import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import type { CallbackRequest } from '../exchange.js';
import { signRsaMd5 } from './rsa.js';
import { stringToSign, type SignedParts } from './string-to-sign.js';

export interface SignOptions extends SignedParts {
  privateKey: KeyObject;
  keyUrl: string;
}

/**
 * The two headers OSS adds to a callback, computed the way OSS computes them. Used by the simulator,
 * the CLI's `sign`, sample events and tests; the receiver never signs.
 */
export function signatureHeaders(options: SignOptions): { authorization: string; 'x-oss-pub-key-url': string } {
  return {
    authorization: signRsaMd5(options.privateKey, stringToSign(options)).toString('base64'),
    'x-oss-pub-key-url': Buffer.from(options.keyUrl, 'utf8').toString('base64'),
  };
}

/**
 * Split a callback URL as OSS uses it: scheme optional (OSS accepts `host:port/path`), the path and
 * query kept byte for byte; `new URL` would re-encode them and change what is signed.
 */
export function splitCallbackUrl(url: string): { host: string; rawPath: string; rawQuery: string | null } {
  const match = /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^/?#]+)([^?#]*)(?:\?([^#]*))?/i.exec(url.trim());
  if (!match) throw new Error(`${JSON.stringify(url)} is not a callback URL`);
  return { host: match[1]!, rawPath: match[2] || '/', rawQuery: match[3] ?? null };
}

export interface CallbackToSign {
  privateKey: KeyObject;
  keyUrl: string;
  /** The callbackUrl, e.g. `https://example.com/oss/callback?tenant=7`. */
  url: string;
  body: Buffer;
  contentType: string;
  /** `x-oss-bucket`, informational (OSS does not sign it). */
  bucket?: string;
  requestId?: string;
  date?: Date;
}

/** A callback request with the headers OSS sends (protocol note §3), signed over path, query and body. */
export function signedCallback(options: CallbackToSign): CallbackRequest {
  const { host, rawPath, rawQuery } = splitCallbackUrl(options.url);
  const signature = signatureHeaders({ privateKey: options.privateKey, keyUrl: options.keyUrl, rawPath, rawQuery, body: options.body });
  const headers: Record<string, string> = {
    host,
    connection: 'close',
    'content-length': String(options.body.length),
    authorization: signature.authorization,
    'content-md5': createHash('md5').update(options.body).digest('base64'),
    'content-type': options.contentType,
    date: (options.date ?? new Date()).toUTCString(),
    'user-agent': 'aliyun-oss-callback',
  };
  if (options.bucket) headers['x-oss-bucket'] = options.bucket;
  headers['x-oss-pub-key-url'] = signature['x-oss-pub-key-url'];
  headers['x-oss-request-id'] = options.requestId ?? randomBytes(12).toString('hex').toUpperCase();
  headers['x-oss-signature-version'] = '1.0';
  headers['x-oss-tag'] = 'CALLBACK';
  return { method: 'POST', rawPath, rawQuery, headers, body: options.body };
}

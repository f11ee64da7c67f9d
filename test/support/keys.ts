import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { CallbackRequest } from '../../lib/exchange.js';
import { KeyCache, type FetchLike, type KeyCacheOptions } from '../../lib/protocol/key-cache.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { CONTENT_TYPES, type BodyType } from '../../lib/protocol/templates.js';
import { pinnedKeys } from '../../lib/protocol/trusted-keys.js';
import { KeyResolver } from '../../lib/protocol/verify.js';
import type { SignatureVector } from '../vectors/signature-vectors.js';

/**
 * Development key pairs shared by the tests, generated once when this module loads (once per test
 * file under vitest's isolation). 1024 bits keeps generation and signing fast; OSS's own key is 512.
 */
export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
  privatePem: string;
  /** The URL the key is pinned under; `.invalid` so nothing could ever fetch it. */
  keyUrl: string;
}

function generateTestKey(keyUrl: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    keyUrl,
  };
}

export const testKey = generateTestKey('https://keys.test.invalid/test-key.pem');
/** A second, unrelated key pair: "right algorithm, wrong key". */
export const otherKey = generateTestKey('https://keys.test.invalid/other-key.pem');

export interface SignRequestOptions {
  /** Still percent-encoded, as on the wire. Default `/oss/callback`. */
  rawPath?: string;
  /** Without its `?`; null for none. Default null. */
  rawQuery?: string | null;
  body?: string | Buffer;
  type?: BodyType;
  key?: TestKey;
  /** The URL the signature names; defaults to the signing key's own URL. */
  keyUrl?: string;
}

/** A callback as OSS sends it, signed through lib/protocol/sign.ts with a test key. */
export function signRequest(options: SignRequestOptions = {}): CallbackRequest {
  const key = options.key ?? testKey;
  const rawPath = options.rawPath ?? '/oss/callback';
  const rawQuery = options.rawQuery ?? null;
  const body = options.body ?? 'bucket=photos&object=users%2F42%2Fcat.jpg';
  return signedCallback({
    privateKey: key.privateKey,
    keyUrl: options.keyUrl ?? key.keyUrl,
    url: `https://callback.test.invalid${rawPath}${rawQuery === null ? '' : `?${rawQuery}`}`,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    contentType: CONTENT_TYPES[options.type ?? 'form'],
    requestId: '5C1B138A109F4E405B2D0000',
    date: new Date('2026-08-01T10:00:00Z'),
  });
}

/** The request a signature vector describes, with the two headers OSS signs with. */
export function vectorRequest(vector: SignatureVector): CallbackRequest {
  return {
    method: 'POST',
    rawPath: vector.rawPath,
    rawQuery: vector.rawQuery,
    headers: {
      'content-type': vector.contentType,
      authorization: vector.authorization,
      'x-oss-pub-key-url': Buffer.from(vector.keyUrl, 'utf8').toString('base64'),
    },
    body: Buffer.from(vector.body, 'utf8'),
  };
}

/** A fetch that records every URL asked for and answers with `answer` (default: a network error). */
export function countingFetch(answer: FetchLike = () => Promise.reject(new Error('no network in tests'))): FetchLike & { urls: string[] } {
  const urls: string[] = [];
  const fetch = (url: string, init: RequestInit) => {
    urls.push(url);
    return answer(url, init);
  };
  return Object.assign(fetch, { urls });
}

/**
 * The official key plus the test keys, pinned, and a key cache whose network is `fetch` (by default a
 * counting fetch that fails), so a test can assert how many requests were made.
 */
export function testResolver(
  fetch: FetchLike = countingFetch(),
  extra: [string, KeyObject][] = [[testKey.keyUrl, testKey.publicKey], [otherKey.keyUrl, otherKey.publicKey]],
  cacheOptions: Omit<KeyCacheOptions, 'fetch'> = {},
): KeyResolver {
  return new KeyResolver(pinnedKeys(new Map(extra)), new KeyCache({ ...cacheOptions, fetch }));
}

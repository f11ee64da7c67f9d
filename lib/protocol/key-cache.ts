import { createPublicKey, type KeyObject } from 'node:crypto';
import { CallbackError } from '../errors.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface KeyCacheOptions {
  /** The network, injectable for tests. Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Per fetch; OSS gives the whole callback 5 s. */
  timeoutMs?: number;
  /** A PEM public key is well under 2 KB; anything larger is not one. */
  maxBytes?: number;
  maxEntries?: number;
}

/**
 * Public keys fetched from `gosspublic.alicdn.com`, parsed once and kept for the life of the warm
 * instance in a bounded LRU. Concurrent cold requests for one URL share a single fetch; a failed
 * fetch is not cached, so the next callback tries again.
 */
export class KeyCache {
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #keys = new Map<string, KeyObject>();
  readonly #inFlight = new Map<string, Promise<KeyObject>>();

  constructor(options: KeyCacheOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#maxBytes = options.maxBytes ?? 8192;
    this.#maxEntries = options.maxEntries ?? 16;
  }

  get size(): number {
    return this.#keys.size;
  }

  async get(fetchUrl: string): Promise<KeyObject> {
    const cached = this.#keys.get(fetchUrl);
    if (cached) {
      this.#keys.delete(fetchUrl);
      this.#keys.set(fetchUrl, cached);
      return cached;
    }
    let pending = this.#inFlight.get(fetchUrl);
    if (!pending) {
      pending = this.#load(fetchUrl).finally(() => this.#inFlight.delete(fetchUrl));
      this.#inFlight.set(fetchUrl, pending);
    }
    return pending;
  }

  async #load(url: string): Promise<KeyObject> {
    const key = await fetchPublicKey(url, this.#fetch, this.#timeoutMs, this.#maxBytes);
    this.#keys.set(url, key);
    if (this.#keys.size > this.#maxEntries) {
      const oldest = this.#keys.keys().next().value as string;
      this.#keys.delete(oldest);
    }
    return key;
  }
}

async function fetchPublicKey(url: string, fetchImpl: FetchLike, timeoutMs: number, maxBytes: number): Promise<KeyObject> {
  const unavailable = (why: string, cause?: unknown) =>
    new CallbackError('KeyUnavailable', `could not load the public key from ${url}: ${why}`, { cause });
  const signal = AbortSignal.timeout(timeoutMs);
  let pem: string;
  try {
    // No redirects: a redirect could lead off the one host the policy allows.
    const response = await fetchImpl(url, { signal, redirect: 'error' });
    if (response.status !== 200) throw unavailable(`HTTP ${response.status}`);
    pem = await readCapped(response, maxBytes, unavailable);
  } catch (error) {
    if (error instanceof CallbackError) throw error;
    throw unavailable(signal.aborted ? `no answer within ${timeoutMs} ms` : 'the request failed', error);
  }
  try {
    // createPublicKey would also take a private key and derive its public half; a key URL serves public keys.
    if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem)) throw new Error('no PUBLIC KEY block');
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (error) {
    throw unavailable('the answer is not an RSA public key in PEM', error);
  }
}

async function readCapped(
  response: Response,
  maxBytes: number,
  unavailable: (why: string) => CallbackError,
): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) throw unavailable(`it is larger than ${maxBytes} bytes`);
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw unavailable(`it is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

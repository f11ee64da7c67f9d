import { createPublicKey, type KeyObject } from 'node:crypto';
import { CallbackError } from '../errors.js';
import { KeyFetchBudget } from './key-fetch-budget.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface KeyCacheOptions {
  /** The network, injectable for tests. Defaults to the global `fetch`. */
  fetch?: FetchLike;
  /** Per fetch; OSS gives the whole callback 5 s. */
  timeoutMs?: number;
  /** A PEM public key is well under 2 KB; anything larger is not one. */
  maxBytes?: number;
  maxEntries?: number;
  /** How long a failed fetch is remembered: its URL is not asked again until then. */
  failureTtlMs?: number;
  /** How many fetches the instance may make: see `KeyFetchBudget`. */
  budget?: KeyFetchBudget;
  /** The clock, injectable for tests. */
  now?: () => number;
}

/**
 * Public keys fetched from `gosspublic.alicdn.com`, parsed once and kept for the life of the warm
 * instance in a bounded LRU. Concurrent cold requests for one URL share a single fetch.
 *
 * Any caller can name a canonical key URL before its signature is checked, so the network it costs is
 * bounded: a failed fetch is remembered (60 s by default) and answered from memory, and every fetch,
 * a first one or one after a failure, is on the instance's `KeyFetchBudget` (4 at once, then one a
 * minute); past it a URL is refused with no request made. OSS itself signs with the pinned v1 key,
 * which never reaches this cache.
 */
export class KeyCache {
  readonly #fetch: FetchLike;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxEntries: number;
  readonly #failureTtlMs: number;
  readonly #budget: KeyFetchBudget;
  readonly #now: () => number;
  readonly #keys = new Map<string, KeyObject>();
  readonly #inFlight = new Map<string, Promise<KeyObject>>();
  /** URL → the refusal to repeat until `until`. */
  readonly #failures = new Map<string, { error: CallbackError; until: number }>();

  constructor(options: KeyCacheOptions = {}) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#maxBytes = options.maxBytes ?? 8192;
    this.#maxEntries = options.maxEntries ?? 16;
    this.#failureTtlMs = options.failureTtlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#budget = options.budget ?? new KeyFetchBudget({ now: this.#now });
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
      this.#admit(fetchUrl);
      pending = this.#load(fetchUrl).finally(() => this.#inFlight.delete(fetchUrl));
      this.#inFlight.set(fetchUrl, pending);
    }
    return pending;
  }

  /** Throws, with no request made, for a URL that failed lately or when the fetch budget says no. */
  #admit(url: string): void {
    const failure = this.#failures.get(url);
    if (failure && failure.until > this.#now()) throw failure.error;
    const decision = this.#budget.take(url);
    if (decision.granted) return;
    const why =
      decision.waitMs > 0
        ? `this instance's key-fetch budget (${this.#budget.perHour} an hour) is spent for the next ${Math.ceil(decision.waitMs / 1000)} s`
        : 'the next fetch of the budget goes to a key URL asked for more often';
    throw new CallbackError('KeyUnavailable', `not fetching ${url}: ${why}`);
  }

  async #load(url: string): Promise<KeyObject> {
    let key: KeyObject;
    try {
      key = await fetchPublicKey(url, this.#fetch, this.#timeoutMs, this.#maxBytes);
    } catch (error) {
      this.#rememberFailure(url, error as CallbackError);
      throw error;
    }
    this.#failures.delete(url);
    this.#keys.set(url, key);
    if (this.#keys.size > this.#maxEntries) {
      const oldest = this.#keys.keys().next().value as string;
      this.#keys.delete(oldest);
    }
    return key;
  }

  #rememberFailure(url: string, error: CallbackError): void {
    const now = this.#now();
    for (const [known, { until }] of this.#failures) if (until <= now) this.#failures.delete(known);
    const seconds = Math.round(this.#failureTtlMs / 1000);
    const remembered = new CallbackError('KeyUnavailable', `${error.message} (a failure remembered for ${seconds} s: not fetched again until then)`, { cause: error });
    this.#failures.set(url, { error: remembered, until: now + this.#failureTtlMs });
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

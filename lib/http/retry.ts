import { ExchangeFailure } from './exchange.js';

/**
 * Retries as the AWS SDK's standard mode makes them, for the clients we wrote ourselves (DynamoDB,
 * Tablestore, the OSS reader) and for `callStore`. The numbers are those of @smithy/core 3.41.0, the
 * retry code of @aws-sdk/client-dynamodb 3.1169.0 (`util-retry/StandardRetryStrategy`,
 * `DefaultRetryBackoffStrategy`, `retries-2026-config`, `constants`; DynamoDB's client passes
 * `defaultMaxAttempts: 4, defaultBaseDelay: 25`):
 * - at most `maxAttempts` attempts per call, the first included;
 * - before retry n (from 0) a wait of `random() * min(base * 2^n, 20 s)`: full jitter, with a base of
 *   1 s after throttling and the client's base (50 ms; DynamoDB 25 ms) after anything else;
 * - a retry quota per client instance: 500 tokens, a retry after throttling takes 5, any other retry
 *   (a timeout, a dropped connection, a 5xx) takes 14; a call that succeeds gives back what its last
 *   retry took, or 1 when it needed none. An empty quota means no retries until successes refill it,
 *   so a throttled table is not hammered harder by every caller retrying at once.
 * Each client says which of its failures are retryable and which are throttling. A retry never waits
 * past the caller's deadline or abort signal: a wait that would end after the deadline is not begun,
 * and the call fails at once with the last failure.
 */
export type RetryableKind = 'throttling' | 'transient';

/** Which failures a retry may fix: `undefined` for the ones it will not. */
export type ClassifyFailure = (error: unknown) => RetryableKind | undefined;

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  throttlingBaseDelayMs: number;
}

/** The SDK's standard mode for any AWS service (`DEFAULT_MAX_ATTEMPTS` 3, `Retry.delay()` 50 ms). */
export const STANDARD_RETRIES: RetryPolicy = { maxAttempts: 3, baseDelayMs: 50, throttlingBaseDelayMs: 1_000 };
/** What @aws-sdk/client-dynamodb passes to it: 4 attempts, a 25 ms base. */
export const DYNAMODB_RETRIES: RetryPolicy = { maxAttempts: 4, baseDelayMs: 25, throttlingBaseDelayMs: 1_000 };

export const INITIAL_RETRY_TOKENS = 500;
export const THROTTLING_RETRY_COST = 5;
export const RETRY_COST = 14;
export const NO_RETRY_INCREMENT = 1;
export const MAX_RETRY_DELAY_MS = 20_000;

export interface RetryCall {
  /** Aborting stops the call and any wait at once, rejecting with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Epoch ms (`Date.now()`'s clock) past which no wait ends. */
  deadline?: number | undefined;
}

export interface RetryStrategyOptions {
  policy: RetryPolicy;
  classify: ClassifyFailure;
  random?: () => number;
  now?: () => number;
  /** The wait itself; tests count waits without spending them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** One per client instance: its quota is shared by every call the instance makes. */
export class RetryStrategy {
  readonly #policy: RetryPolicy;
  readonly #classify: ClassifyFailure;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #capacity = INITIAL_RETRY_TOKENS;

  constructor({ policy, classify, random = () => Math.random(), now = () => Date.now(), sleep = abortableSleep }: RetryStrategyOptions) {
    this.#policy = policy;
    this.#classify = classify;
    this.#random = random;
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Tokens left in the retry quota. */
  get capacity(): number {
    return this.#capacity;
  }

  /** `attempt` once, then again while the failure is retryable and the limits allow; the last failure otherwise. */
  async run<T>(attempt: (attemptIndex: number) => Promise<T>, call: RetryCall = {}): Promise<T> {
    const { signal, deadline } = call;
    let lastRetryCost: number | undefined;
    for (let index = 0; ; index++) {
      signal?.throwIfAborted();
      try {
        const result = await attempt(index);
        this.#capacity = Math.min(INITIAL_RETRY_TOKENS, this.#capacity + (lastRetryCost ?? NO_RETRY_INCREMENT));
        return result;
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const kind = this.#classify(error);
        if (kind === undefined || index + 1 >= this.#policy.maxAttempts) throw error;
        const cost = kind === 'throttling' ? THROTTLING_RETRY_COST : RETRY_COST;
        if (this.#capacity < cost) throw error;
        const delay = this.delay(index, kind);
        if (deadline !== undefined && this.#now() + delay >= deadline) throw error;
        this.#capacity -= cost;
        lastRetryCost = cost;
        await this.#sleep(delay, signal);
      }
    }
  }

  /** Full jitter: a random wait up to an exponentially growing cap. */
  delay(retryIndex: number, kind: RetryableKind): number {
    const base = kind === 'throttling' ? this.#policy.throttlingBaseDelayMs : this.#policy.baseDelayMs;
    return Math.floor(this.#random() * Math.min(base * 2 ** retryIndex, MAX_RETRY_DELAY_MS));
  }
}

/** Node's own error codes the SDK counts as transient (`NODEJS_TIMEOUT_ERROR_CODES`, `NODEJS_NETWORK_ERROR_CODES`). */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** An exchange the SDK would retry: a time limit passed, or the connection failed in a way it lists. */
export function isTransientExchangeFailure(error: unknown): boolean {
  return error instanceof ExchangeFailure && (error.timeout || TRANSIENT_NETWORK_CODES.has(error.code));
}

/**
 * Error codes the SDK counts as throttling, for any service (`THROTTLING_ERROR_CODES` of
 * service-error-classification); an HTTP 429 is throttling too.
 */
export const SDK_THROTTLING_CODES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Error codes the SDK retries once the service's time has corrected our clock (`CLOCK_SKEW_ERROR_CODES`). */
export const SDK_CLOCK_SKEW_CODES: ReadonlySet<string> = new Set(['AccessDeniedException', 'AuthFailure', 'InvalidSignatureException', 'RequestExpired', 'RequestInTheFuture', 'RequestTimeTooSkewed', 'SignatureDoesNotMatch']);

/** HTTP statuses the SDK counts as transient (`TRANSIENT_ERROR_STATUS_CODES`); 429 counts as throttling. */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/**
 * The SDK's classification of a service's refusal (`getRetryErrorType`): throttling first, then
 * transient; a clock-skew code only once the service's time has corrected our clock, or the retry
 * would be refused the same way. `undefined` for the rest; a client adds its own transient codes.
 */
export function sdkRetryKind(refusal: { status: number; code: string }, clockCorrected: boolean): RetryableKind | undefined {
  if (refusal.status === 429 || SDK_THROTTLING_CODES.has(refusal.code)) return 'throttling';
  if (TRANSIENT_STATUSES.has(refusal.status)) return 'transient';
  if (clockCorrected && SDK_CLOCK_SKEW_CODES.has(refusal.code)) return 'transient';
  return undefined;
}

/**
 * An attempt's failure as a client's attempt throws it: the error its caller will see, and how the
 * retry strategy takes it. `runAttempts` unwraps it, so the wrapper never leaves the client.
 */
export class AttemptFailure<E extends Error> extends Error {
  constructor(
    readonly error: E,
    readonly kind: RetryableKind | undefined,
  ) {
    super(error.message);
  }
}

/** The classifier for a strategy whose attempts throw `AttemptFailure`: anything else is final. */
export const attemptFailureKind: ClassifyFailure = (error) => (error instanceof AttemptFailure ? error.kind : undefined);

/** `retries.run(attempt, call)`, failing with the last attempt's own error rather than its wrapper. */
export async function runAttempts<T>(retries: RetryStrategy, attempt: () => Promise<T>, call: RetryCall): Promise<T> {
  try {
    return await retries.run(attempt, call);
  } catch (error) {
    throw error instanceof AttemptFailure ? error.error : error;
  }
}

/** A wait that ends early, rejecting with the signal's reason, when the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

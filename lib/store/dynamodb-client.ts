import { ServiceClock } from '../http/clock-skew.js';
import { exchange, ExchangeFailure, KeepAliveAgents, type ExchangeLimits, type Exchanged } from '../http/exchange.js';
import { AttemptFailure, attemptFailureKind, DYNAMODB_RETRIES, isTransientExchangeFailure, RetryStrategy, runAttempts, sdkRetryKind, type RetryableKind, type RetryCall } from '../http/retry.js';
import { credentialsFromEnvironment, type AwsCredentials, type CredentialProvider } from './aws-credentials.js';
import { signSigV4 } from './aws-sigv4.js';
import { resolveDynamoDbEndpoint } from './dynamodb-endpoint.js';

/** The attribute types this store writes and reads: strings, and numbers for TTL. */
export type AttributeValue = { S: string } | { N: string };
export type Item = Record<string, AttributeValue>;

export interface DynamoDbClientConfig {
  /**
   * Default: AWS_ENDPOINT_URL_DYNAMODB, then AWS_ENDPOINT_URL (both unless
   * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), then the region's endpoint as the AWS SDK resolves it
   * (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT).
   */
  endpoint?: string;
  /** Default: AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** Default: `credentialsFromEnvironment()`. */
  credentials?: AwsCredentials | CredentialProvider;
  /** Opening a connection. Default 1 s. */
  connectTimeoutMs?: number;
  /** From a request sent to its answer's first byte. Default 2 s: DynamoDB answers in milliseconds, and a callback's 4 s leave room for another attempt. */
  firstByteTimeoutMs?: number;
  /** One request, whole. Default 10 s. */
  requestTimeoutMs?: number;
  /** Attempts per call, the first included. Default 4, as the AWS SDK's DynamoDB client. */
  maxAttempts?: number;
}

/** The caller's signal and deadline: no retry waits past either. */
export type DynamoDbCallOptions = RetryCall;

/**
 * DynamoDB refused, or gave no usable answer, after every attempt the call was allowed. `code` is
 * DynamoDB's error type (`ProvisionedThroughputExceededException`, `ConditionalCheckFailedException`,
 * …), `HTTP <status>` for an answer without one, or, when no answer came, the exchange's code
 * (`ECONNREFUSED`, `FirstByteTimeout`, …; the ExchangeFailure is the cause).
 */
export class DynamoDbError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The answer's status; 0 when none came. */
    readonly status: number,
    /** The item a failed condition found, when the request asked for ALL_OLD and DynamoDB sent it. */
    readonly item?: Item,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DynamoDbError';
  }
}

/**
 * Besides the SDK's throttling codes for every service (which name DynamoDB's own), the error types
 * @aws-sdk/client-dynamodb marks `$retryable` and the SDK's transient codes. Not
 * TransactionConflictException, which the SDK leaves to the caller, nor the ones DynamoDB's error table
 * calls retryable that the SDK does not retry (ItemCollectionSizeLimitExceededException,
 * UnrecognizedClientException).
 */
const TRANSIENT_TYPES = new Set(['ReplicatedWriteConflictException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

/**
 * DynamoDB's JSON protocol over `node:http(s)`, signed with SigV4: the part of the AWS SDK this store
 * uses, at a fraction of its load time. Each call is retried as the SDK's standard mode retries it
 * (lib/http/retry.ts), within the caller's deadline and signal; every request has a connect,
 * first-byte and total time limit. What comes out is the answer, a `DynamoDbError` once the retries
 * are spent, or the signal's reason when the caller aborted.
 */
export class DynamoDbClient {
  readonly #url: URL;
  readonly #path: string;
  readonly #region: string;
  readonly #credentials: CredentialProvider;
  readonly #limits: ExchangeLimits;
  readonly #agents = new KeepAliveAgents();
  readonly #clock = new ServiceClock();
  readonly #retries: RetryStrategy;

  constructor(config: DynamoDbClientConfig = {}, env: NodeJS.ProcessEnv = process.env) {
    const { url, signingRegion } = resolveDynamoDbEndpoint(config, env);
    this.#url = url;
    this.#path = url.pathname + url.search;
    this.#region = signingRegion;
    const credentials = config.credentials ?? credentialsFromEnvironment(env);
    this.#credentials = typeof credentials === 'function' ? credentials : () => Promise.resolve(credentials);
    this.#limits = {
      connectMs: config.connectTimeoutMs ?? 1_000,
      firstByteMs: config.firstByteTimeoutMs ?? 2_000,
      totalMs: config.requestTimeoutMs ?? 10_000,
      // A BatchGetItem answer is at most 16 MB of items.
      maxBodyBytes: 20 * 1024 * 1024,
    };
    this.#retries = new RetryStrategy({
      policy: { ...DYNAMODB_RETRIES, maxAttempts: config.maxAttempts ?? DYNAMODB_RETRIES.maxAttempts },
      classify: attemptFailureKind,
    });
  }

  /** The endpoint requests go to (for messages; it holds no credentials). */
  get endpoint(): string {
    return this.#url.origin;
  }

  /** The retry quota's tokens left, shared by every call of this client. */
  get retryCapacity(): number {
    return this.#retries.capacity;
  }

  async call<Output>(operation: string, input: object, options: DynamoDbCallOptions = {}): Promise<Output> {
    const body = JSON.stringify(input);
    return runAttempts(this.#retries, () => this.#attempt<Output>(operation, body, options.signal), options);
  }

  /** The pause before resending a batch's unprocessed keys or items: the backoff after throttling. */
  unprocessedPauseMs(round: number): number {
    return this.#retries.delay(round, 'throttling');
  }

  destroy(): void {
    this.#agents.destroy();
  }

  async #attempt<Output>(operation: string, body: string, signal: AbortSignal | undefined): Promise<Output> {
    const unsigned = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` };
    const headers = signSigV4({ url: this.#url, region: this.#region, service: 'dynamodb', headers: unsigned, body }, await this.#credentials(), this.#clock.now());
    const sentAt = this.#clock.localNow();
    let answer: Exchanged;
    try {
      answer = await exchange(this.#url, { method: 'POST', path: this.#path, headers, body, signal }, this.#limits, this.#agents.for(this.#url));
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw error;
      throw new AttemptFailure(
        new DynamoDbError(error.code, `DynamoDB ${operation}: ${error.message}`, error.answer?.status ?? 0, undefined, { cause: error }),
        isTransientExchangeFailure(error) ? 'transient' : undefined,
      );
    }
    const corrected = this.#clock.observe(answer.headers, sentAt);
    if (answer.status === 200) {
      try {
        return JSON.parse(answer.body.toString('utf8')) as Output;
      } catch (error) {
        // A 200 says the operation happened; a body cut short or garbled by something in between says
        // nothing more. Another attempt asks again: a conditional write answers with what is there.
        throw new AttemptFailure(new DynamoDbError('MalformedAnswer', `DynamoDB ${operation}: a 200 answer whose body is not JSON`, 200, undefined, { cause: error }), 'transient');
      }
    }
    const error = refusal(operation, answer);
    throw new AttemptFailure(error, retryKind(error, corrected));
  }
}

/** DynamoDB answers errors as `{"__type": "com.amazonaws.dynamodb.v20120810#Name", "message": …}`. */
function refusal(operation: string, answer: Exchanged): DynamoDbError {
  let parsed: { __type?: unknown; message?: unknown; Message?: unknown; Item?: Item } = {};
  try {
    parsed = JSON.parse(answer.body.toString('utf8')) as typeof parsed;
  } catch {
    // A proxy's or load balancer's page: the status decides.
  }
  const type = typeof parsed.__type === 'string' ? parsed.__type.split('#').pop() : undefined;
  const code = type || `HTTP ${answer.status}`;
  const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.Message === 'string' ? parsed.Message : '';
  return new DynamoDbError(code, `DynamoDB ${operation}: ${code}${message ? `: ${message}` : ''}`, answer.status, parsed.Item);
}

/** The SDK's classification, then DynamoDB's own transient types and an expired signature (retried with a new one). */
function retryKind(error: DynamoDbError, clockCorrected: boolean): RetryableKind | undefined {
  const kind = sdkRetryKind(error, clockCorrected);
  if (kind !== undefined) return kind;
  if (TRANSIENT_TYPES.has(error.code)) return 'transient';
  if (error.code === 'InvalidSignatureException' && error.message.includes('Signature expired')) return 'transient';
  return undefined;
}

import type { IncomingHttpHeaders } from 'node:http';
import type { AliyunCredentials } from '../credentials.js';
import { ServiceClock } from '../http/clock-skew.js';
import { exchange, ExchangeFailure, KeepAliveAgents, type ExchangeLimits, type Exchanged } from '../http/exchange.js';
import { AttemptFailure, attemptFailureKind, isTransientExchangeFailure, RetryStrategy, runAttempts, sdkRetryKind, STANDARD_RETRIES } from '../http/retry.js';
import { READER_CREDENTIALS_HELP } from './credentials.js';
import { bucketOrigin, type OssLocation } from './location.js';
import { canonicalQuery, signV4 } from './sign-v4.js';

/**
 * The OSS reader's transport, shared by the reconciler (ListObjectsV2, HeadObject) and the receiver's
 * confirm mode (HeadObject): signed requests over lib/http/exchange.ts, no SDK. ali-oss with its HTTP
 * stack is too large for the callback bundle, and `fetch` costs about 50 ms of cold start on its first
 * call in Node 20; two read-only calls need neither. Requests are retried as the AWS SDK's standard
 * mode retries them (lib/http/retry.ts: 3 attempts, a quota per client): throttling (429, SlowDown and
 * the SDK's other throttling codes), 500/502/503/504, dropped connections and time limits; and once
 * more when OSS refused the signature's time (RequestTimeTooSkewed) and its Date header corrected our
 * clock. ali-oss itself retries nothing by default (`retryMax: 0`).
 */
export interface OssClientOptions {
  location: OssLocation;
  /** Asked for on every request, so rotating STS credentials are always the latest. */
  credentials: () => AliyunCredentials | undefined;
  /** Opening a connection. Default 2 s. */
  connectTimeoutMs?: number;
  /** From a request sent to its answer's first byte. Default 5 s. */
  firstByteTimeoutMs?: number;
  /** One request, whole, on top of any abort signal. Default 10 s. */
  timeoutMs?: number;
  /** Attempts per request, the first included. Default 3, the AWS SDK's standard mode. */
  maxAttempts?: number;
  /** Our clock; the service's Date header corrects it when they differ by minutes. */
  now?: () => Date;
}

export interface OssResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OssRequest {
  method: 'GET' | 'HEAD';
  bucket: string;
  key: string;
  query?: ReadonlyArray<readonly [string, string]>;
  signal?: AbortSignal;
  /** Epoch ms past which no retry waits. */
  deadline?: number;
  /** The largest answer read (default 16 MiB); a longer one is dropped unread and fails as OssUnreachable. */
  maxBodyBytes?: number;
}

/** OSS answered with an error: its status, `<Code>` and `<Message>` (from the body, or `x-oss-err` for HEAD). */
export class OssRefusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(status: number, code: string, message: string, requestId: string | undefined) {
    super(`OSS answered ${status} ${code}: ${message}`);
    this.name = 'OssRefusal';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }
}

/** No answer from OSS: the connection failed, or a time limit passed. `code` is the exchange's (`ECONNREFUSED`, `FirstByteTimeout`, …). */
export class OssUnreachable extends Error {
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OssUnreachable';
    this.code = options?.cause instanceof ExchangeFailure ? options.cause.code : 'OssUnreachable';
  }
}

export interface OssClient {
  readonly location: OssLocation;
  /** The answer when it is 2xx; an OssRefusal for any other answer, OssUnreachable when none came. */
  send(request: OssRequest): Promise<OssResponse>;
  close(): void;
}

/** A listing page of 1000 keys is a few hundred KB; nothing the reader asks for comes near this. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export function createOssClient({ location, credentials, connectTimeoutMs = 2_000, firstByteTimeoutMs = 5_000, timeoutMs = 10_000, maxAttempts, now = () => new Date() }: OssClientOptions): OssClient {
  // Kept-alive connections: the reconciler sends many requests, a warm receiver one per callback.
  const agents = new KeepAliveAgents();
  const clock = new ServiceClock(() => now().getTime());
  const limits: Omit<ExchangeLimits, 'maxBodyBytes'> = { connectMs: connectTimeoutMs, firstByteMs: firstByteTimeoutMs, totalMs: timeoutMs };
  const retries = new RetryStrategy({
    policy: { ...STANDARD_RETRIES, maxAttempts: maxAttempts ?? STANDARD_RETRIES.maxAttempts },
    classify: attemptFailureKind,
  });

  async function attempt({ method, bucket, key, query = [], signal, maxBodyBytes = MAX_BODY_BYTES }: OssRequest): Promise<OssResponse> {
    const signer = credentials();
    if (!signer) throw new Error(`no OSS credentials to sign with: ${READER_CREDENTIALS_HELP}`);
    const origin = bucketOrigin(bucket, location);
    const headers = signV4({ method, bucket, key, query, headers: {} }, signer, location.region, clock.now());
    const search = canonicalQuery(query);
    const path = `/${key.split('/').map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
    const sentAt = clock.localNow();
    let response: Exchanged;
    try {
      response = await exchange(origin, { method, path, headers, signal }, { ...limits, maxBodyBytes }, agents.for(origin));
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw error;
      throw new AttemptFailure(unreachable(error, origin), isTransientExchangeFailure(error) ? 'transient' : undefined);
    }
    const corrected = clock.observe(response.headers, sentAt);
    if (response.status >= 200 && response.status < 300) return response;
    const refused = refusal(response);
    throw new AttemptFailure(refused, sdkRetryKind(refused, corrected));
  }

  return {
    location,
    send(request) {
      return runAttempts(retries, () => attempt(request), request);
    },
    close() {
      agents.destroy();
    },
  };
}

function unreachable(failure: ExchangeFailure, origin: URL): OssUnreachable {
  const what = failure.timeout ? `OSS did not answer in time (${origin.host})` : failure.code === 'AnswerTooLarge' ? `OSS sent too much (${origin.host})` : `could not reach OSS at ${origin.host}`;
  return new OssUnreachable(`${what}: ${failure.message}`, { cause: failure });
}

/** OSS's error document, from the body or, for HEAD (no body), from the base64 `x-oss-err` header. */
function refusal(response: OssResponse): OssRefusal {
  const header = response.headers['x-oss-err'];
  const xml = typeof header === 'string' ? Buffer.from(header, 'base64').toString('utf8') : response.body.toString('utf8');
  const element = (name: string) => unescapeXml(new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]);
  const requestId = response.headers['x-oss-request-id'];
  return new OssRefusal(
    response.status,
    element('Code') ?? `HTTP${response.status}`,
    element('Message') ?? 'no error document',
    typeof requestId === 'string' ? requestId : element('RequestId'),
  );
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(text: string | undefined): string | undefined {
  return text?.replace(/&(lt|gt|amp|quot|apos);/g, (_, name: string) => XML_ENTITIES[name]!);
}

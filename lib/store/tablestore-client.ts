import type { AliyunCredentials } from '../credentials.js';
import { ServiceClock } from '../http/clock-skew.js';
import { ExchangeFailure, KeepAliveAgents, exchange, type ExchangeLimits } from '../http/exchange.js';
import { RetryStrategy, type RetryPolicy, type RetryStrategyOptions, type RetryableKind } from '../http/retry.js';
import { decodeRow, encodeRow, type Cells, type PlainRow } from './tablestore-plainbuffer.js';
import { decodeBatchGetRowResponse, decodeError, decodeGetRowResponse, encodeBatchGetRowRequest, encodeGetRowRequest, encodePutRowRequest, type Condition } from './tablestore-protobuf.js';
import { signedHeaders } from './tablestore-signature.js';

export type { Cell, Cells } from './tablestore-plainbuffer.js';
export { Comparator, RowExistence, type Condition } from './tablestore-protobuf.js';

/**
 * Tablestore's PutRow, GetRow and BatchGetRow over `node:http(s)`: what callbacks, tickets, events
 * and reconcile need, without the official SDK (about 70 ms to load, and globals it sets). Requests
 * are encoded, signed and retried as the SDK does them (test/unit/store/tablestore-oracle.test.ts
 * holds the bytes and headers equal); every failure is a `TablestoreError` with Tablestore's code.
 */

/** A failed Tablestore call: `code` is Tablestore's (`OTSConditionCheckFail`, …) or the transport's (`ECONNREFUSED`, `FirstByteTimeout`, …). */
export class TablestoreError extends Error {
  readonly code: string;
  /** `PutRow`, `GetRow` or `BatchGetRow`. */
  readonly operation: string;
  /** The HTTP status Tablestore answered with; undefined when no answer came. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  /** A refusal of our signing time by an answer that also corrected our clock: worth one more attempt. */
  readonly clockCorrected: boolean;

  constructor(code: string, message: string, details: { operation: string; status?: number | undefined; requestId?: string | undefined; cause?: unknown; clockCorrected?: boolean }) {
    super(message, { cause: details.cause });
    this.name = 'TablestoreError';
    this.code = code;
    this.operation = details.operation;
    this.status = details.status;
    this.requestId = details.requestId;
    this.clockCorrected = details.clockCorrected ?? false;
  }
}

/**
 * Which failures a retry may fix, from the SDK's `lib/retry/retry_util.js` (5.6.5) and the error-code
 * reference (https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes).
 * Throttling: the server is busy or a quota ran out; retried, with the longer wait, for every call.
 */
const THROTTLING = new Set(['OTSServerBusy', 'OTSNotEnoughCapacityUnit', 'OTSOperationThrottled']);
/** Retried for every call: a row being written by another request (409), a table or partition still loading. */
const TRANSIENT = new Set(['OTSRowOperationConflict', 'OTSTableNotReady', 'OTSPartitionUnavailable']);
/**
 * Retried for reads only, as the SDK does: a write that timed out inside Tablestore, or whose answer
 * was lost, may have been applied.
 */
const TRANSIENT_FOR_READS = new Set(['OTSTimeout', 'OTSInternalServerError', 'OTSServerUnavailable']);
const READS = new Set(['GetRow', 'BatchGetRow']);

/**
 * The SDK's retry delays (`lib/retry/default_retry_policy.js`: 500 ms after throttling, 200 ms after
 * anything else, doubling each time) with 4 attempts at most where the SDK allows 20: a callback has
 * 5 s, and a throttled table should not get more calls from us than from the SDK's other users.
 */
const TABLESTORE_RETRIES: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, throttlingBaseDelayMs: 500 };

/** Also the SDK side's limits (`tablestore-sdk-client.ts`). */
export const TABLESTORE_LIMITS: ExchangeLimits = { connectMs: 1_000, firstByteMs: 5_000, totalMs: 10_000, maxBodyBytes: 8 * 1024 * 1024 };

export interface TablestoreClientOptions {
  /** `https://<instance>.<region>.ots.aliyuncs.com`; the path, if any, is ignored as the SDK ignores it. */
  endpoint: string;
  instance: string;
  /** Asked on every request: Function Compute rotates the role's STS credentials. */
  credentials: () => AliyunCredentials;
  limits?: Partial<ExchangeLimits>;
  /** For tests: the retry strategy's clock, randomness and waits. */
  retry?: Pick<RetryStrategyOptions, 'random' | 'now' | 'sleep'>;
  /** For tests: our clock, before any correction from Tablestore's answers. */
  now?: () => number;
}

export interface CallOptions {
  /** Aborting stops the call, and any wait to retry it, at once. */
  signal?: AbortSignal | undefined;
  /** Epoch ms past which no retry wait ends. */
  deadline?: number | undefined;
}

/** Tablestore refuses a request signed with a time more than 15 minutes from its own (error-code reference, OTSAuthFailed). */
const CLOCK_SKEW_REFUSAL = /^Mismatch between system time and x-ots-date/;

export class TablestoreClient {
  readonly #origin: URL;
  readonly #instance: string;
  readonly #credentials: () => AliyunCredentials;
  readonly #limits: ExchangeLimits;
  readonly #agents = new KeepAliveAgents();
  readonly #clock: ServiceClock;
  readonly #retries: RetryStrategy;

  constructor(options: TablestoreClientOptions) {
    const url = new URL(options.endpoint);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`the Tablestore endpoint ${options.endpoint} is not an http(s) URL`);
    this.#origin = new URL(url.origin);
    this.#instance = options.instance;
    this.#credentials = options.credentials;
    this.#limits = { ...TABLESTORE_LIMITS, ...options.limits };
    this.#clock = new ServiceClock(options.now);
    this.#retries = new RetryStrategy({ policy: TABLESTORE_RETRIES, classify: retryable, ...options.retry });
  }

  /** Write the whole row under `condition`; a refused condition is `OTSConditionCheckFail`. */
  async putRow(params: { tableName: string; primaryKey: Cells; columns: Cells; condition: Condition }, call: CallOptions = {}): Promise<void> {
    const body = encodePutRowRequest(params.tableName, encodeRow(params.primaryKey, params.columns), params.condition);
    await this.#retries.run(() => this.#send('PutRow', body, call.signal), call);
  }

  /** The newest version of the row's cells (those named, or all), or undefined when there is no such row. */
  async getRow(params: { tableName: string; primaryKey: Cells; columnsToGet?: readonly string[] }, call: CallOptions = {}): Promise<PlainRow | undefined> {
    const body = encodeGetRowRequest(params.tableName, encodeRow(params.primaryKey), params.columnsToGet);
    const answer = await this.#retries.run(() => this.#send('GetRow', body, call.signal), call);
    const row = decoding('GetRow', () => decodeGetRowResponse(answer));
    return row.length === 0 ? undefined : decoding('GetRow', () => decodeRow(row));
  }

  /**
   * Rows of one table by primary key (at most 100, none twice, as Tablestore requires), in the order
   * asked for, undefined where there is none. Rows Tablestore fails one by one with a retryable code
   * are asked for again, alone, within the same attempt limit; a row failed for good fails the call.
   */
  async batchGetRow(params: { tableName: string; primaryKeys: readonly Cells[]; columnsToGet?: readonly string[] }, call: CallOptions = {}): Promise<(PlainRow | undefined)[]> {
    const { tableName, columnsToGet } = params;
    const keys = params.primaryKeys.map((key) => encodeRow(key));
    const rows: (PlainRow | undefined)[] = keys.map(() => undefined);
    let pending = keys.map((_, index) => index);
    await this.#retries.run(async () => {
      const answer = await this.#send('BatchGetRow', encodeBatchGetRowRequest(tableName, pending.map((index) => keys[index]!), columnsToGet), call.signal);
      const decoded = decoding('BatchGetRow', () => decodeBatchGetRowResponse(answer, tableName));
      if (decoded.length !== pending.length) throw invalidAnswer('BatchGetRow', `${decoded.length} rows came back for ${pending.length}`);
      const failed: { index: number; error: TablestoreError }[] = [];
      decoded.forEach((row, at) => {
        const index = pending[at]!;
        if (row.ok) rows[index] = row.row.length === 0 ? undefined : decoding('BatchGetRow', () => decodeRow(row.row));
        else failed.push({ index, error: new TablestoreError(row.error.code, row.error.message, { operation: 'BatchGetRow' }) });
      });
      pending = failed.map(({ index }) => index);
      // A row failed for good ends the call; otherwise the retry strategy asks again for the failed rows.
      const failure = failed.find(({ error }) => retryable(error) === undefined) ?? failed[0];
      if (failure) throw failure.error;
    }, call);
    return rows;
  }

  /** Close the kept-alive connections. */
  close(): void {
    this.#agents.destroy();
  }

  /** One signed request and its answer's body; any status but 200 becomes a TablestoreError. */
  async #send(operation: string, body: Buffer, signal: AbortSignal | undefined): Promise<Buffer> {
    const sentAt = this.#clock.localNow();
    const headers = signedHeaders({ operation, body, instance: this.#instance, credentials: this.#credentials(), date: this.#clock.now() });
    let answer;
    try {
      answer = await exchange(this.#origin, { method: 'POST', path: `/${operation}`, headers, body, signal }, this.#limits, this.#agents.for(this.#origin));
    } catch (error) {
      if (!(error instanceof ExchangeFailure)) throw error;
      throw new TablestoreError(error.code, `Tablestore ${operation}: ${error.message}`, { operation, status: error.answer?.status, cause: error });
    }
    // Tablestore's time, for correcting ours: its `x-ots-date` (ISO, to the millisecond), else the HTTP `Date`.
    const clockMoved = this.#clock.observe(answer.headers, sentAt, header(answer.headers, 'x-ots-date') ?? answer.headers.date);
    if (answer.status === 200) return answer.body;
    throw errorFromAnswer(operation, answer.status, answer.headers, answer.body, clockMoved);
  }
}

/**
 * The TablestoreError an answer other than 200 stands for, from our client and the SDK's alike:
 * Tablestore's protobuf `Error { code, message }`, or only the status when the body is not one (a
 * proxy's error page, an empty body). `clockMoved`: the same answer corrected our clock.
 */
export function errorFromAnswer(operation: string, status: number, headers: AnswerHeaders, body: Buffer, clockMoved = false): TablestoreError {
  const requestId = header(headers, 'x-ots-requestid') ?? header(headers, 'x-ots-request-id');
  const refusal = decodeError(body);
  if (!refusal) return new TablestoreError(`HTTP${status}`, `Tablestore ${operation} answered HTTP ${status} without a Tablestore error`, { operation, status, requestId });
  const clockCorrected = clockMoved && refusal.code === 'OTSAuthFailed' && CLOCK_SKEW_REFUSAL.test(refusal.message);
  return new TablestoreError(refusal.code, refusal.message || refusal.code, { operation, status, requestId, clockCorrected });
}

/** An answer our decoders cannot read: a broken or foreign answer, final. */
function invalidAnswer(operation: string, message: string, cause?: unknown): TablestoreError {
  return new TablestoreError('InvalidResponse', `Tablestore ${operation}: ${message}`, { operation, cause });
}

function decoding<T>(operation: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw invalidAnswer(operation, error instanceof Error ? error.message : String(error), error);
  }
}

/** An answer's headers, as node:http gives them and as the SDK hands them over. */
type AnswerHeaders = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: AnswerHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** How the retry strategy takes a failure: throttling, transient, or final (undefined). */
export function retryable(error: unknown): RetryableKind | undefined {
  if (!(error instanceof TablestoreError)) return undefined;
  const { code, message, operation } = error;
  if (THROTTLING.has(code) || (code === 'OTSQuotaExhausted' && message === 'Too frequent table operations.')) return 'throttling';
  if (TRANSIENT.has(code) || error.clockCorrected) return 'transient';
  const transport = error.cause instanceof ExchangeFailure ? error.cause : undefined;
  // A request that never reached Tablestore changed nothing, whatever the call.
  if (transport && !transport.sent) return 'transient';
  if (!READS.has(operation)) return undefined;
  return transport || TRANSIENT_FOR_READS.has(code) || [500, 502, 503].includes(error.status ?? 0) ? 'transient' : undefined;
}

/**
 * A write that failed this way may still have been applied: it reached Tablestore and no answer
 * said it was refused (a dropped or cut answer, a time limit, Tablestore's own timeout or 5xx).
 */
export function mayHaveBeenApplied(error: unknown): boolean {
  if (!(error instanceof TablestoreError)) return false;
  if (error.cause instanceof ExchangeFailure) return error.cause.sent;
  return TRANSIENT_FOR_READS.has(error.code) || /^HTTP5\d\d$/.test(error.code);
}

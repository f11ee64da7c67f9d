import { recordedAnswer, type AnswerFunction } from './answer.js';
import { jsonLogger, type LogFields, type Logger } from './logger.js';
import { createBudget, withinBudget, type Budget } from './deadline.js';
import { asCallbackError, CallbackError, isCallbackError } from './errors.js';
import { jsonResponse, refusalResponse, type CallbackRequest, type CallbackResponse, type Receiver } from './exchange.js';
import { callbackUpload } from './callback-upload.js';
import type { CallbackFields } from './protocol/callback-body.js';
import { verifyCallback, type KeyResolver } from './protocol/verify.js';
import type { AuthorizeStep, ConfirmStep } from './steps.js';
import type { UploadStore } from './store/port.js';
import type { UploadRecord } from './store/record.js';
import { recordUpload, storedAnswer } from './store/record-upload.js';
import { storeCode } from './store/store-code.js';

export interface ReceiverLimits {
  /** The receiver answers before this many ms have passed; OSS gives up at 5000. */
  deadlineMs: number;
  /** Bodies above this many bytes are refused. */
  maxBodyBytes: number;
}

export interface ReceiverDeps {
  limits: ReceiverLimits;
  store: UploadStore;
  keys: KeyResolver;
  /** Upload tickets plug in here; without it no uploader is named (x:ticket is still never stored). */
  authorize?: AuthorizeStep;
  /** Confirm mode plugs in here: HeadObject before recording. */
  confirm?: ConfirmStep;
  logger?: Logger;
  now?: () => number;
  /** The application's fields for the 200 answer, built from the record (see answer.ts). */
  answer?: AnswerFunction;
}

/** Time kept back from the platform's own limit to serialise and send the answer. */
const PLATFORM_MARGIN_MS = 250;

/**
 * The pipeline every door runs, top to bottom under one deadline budget: verify the signature over
 * the bytes received → parse the body → authorize, confirm (optional steps) → record once → answer JSON.
 * Platform-free: doors only translate their events to a CallbackRequest and the answer back.
 */
export function createPipeline({ limits, store, keys, authorize, confirm, answer, logger = jsonLogger(), now = Date.now }: ReceiverDeps): Receiver {
  async function receive(request: CallbackRequest, budget: Budget, log: LogFields): Promise<UploadRecord> {
    const { signed, keyUrl } = await verifyCallback(request, keys);
    log.keyUrl = keyUrl;
    const { fields, ticket, fingerprint, id } = callbackUpload(request, signed);
    Object.assign(log, { id, bucket: fields.bucket, object: fields.object });
    let uploader: string | null = null;
    try {
      if (authorize) uploader = await authorize(fields, ticket, { budget, store });
    } catch (error) {
      // A ticket expires or its key rotates out; a delivery identical to one already recorded still
      // gets the stored answer and writes nothing.
      const stored = isCallbackError(error) && error.code.startsWith('Ticket') ? await storedAnswer(store, id, fingerprint, budget) : undefined;
      if (!stored) throw error;
      log.replayed = true;
      return stored;
    }
    log.uploader = uploader;
    if (confirm) await confirm(fields, { budget, store });
    const result = await recordUpload(store, { record: callbackRecord(id, fields, uploader, now()), fingerprint }, budget);
    log.replayed = result.replayed;
    return result.record;
  }

  return {
    async handle(request, options = {}) {
      const start = now();
      const log: LogFields = { method: request.method, path: request.rawPath, requestId: options.requestId };
      if (request.queryReconstructed) log.queryReconstructed = true;
      if (request.urlNormalized) log.urlNormalized = true;
      let response: CallbackResponse;
      try {
        if (isHealthCheck(request)) return jsonResponse(200, { Status: 'OK' });
        if (request.method !== 'POST') throw new CallbackError('MethodNotAllowed', `OSS callbacks are POST requests; ${request.method} is not allowed`);
        if (request.body.length > limits.maxBodyBytes) {
          throw new CallbackError('BodyTooLarge', `the body is larger than ${limits.maxBodyBytes} bytes (OSS_CALLBACK_MAX_BODY)`);
        }
        const budget = createBudget(start + Math.min(limits.deadlineMs, (options.remainingMs ?? Infinity) - PLATFORM_MARGIN_MS), now);
        try {
          response = await withinBudget(receive(request, budget, log).then((record) => recordedAnswer(record, answer)), budget);
        } finally {
          budget.dispose();
        }
      } catch (error) {
        response = errorResponse(error, log);
      }
      log.status = response.status;
      // The answer's code, `OK` for a 200: every line names one, so refusals group by code.
      log.code ??= 'OK';
      log.ms = now() - start;
      // A rebuilt query may differ from what OSS signed: worth a warning even when it verified.
      const level = response.status >= 500 ? 'error' : response.status >= 400 || request.queryReconstructed ? 'warn' : 'info';
      logger.log(level, 'callback', log);
      return response;
    },
  };
}

function isHealthCheck(request: CallbackRequest): boolean {
  return request.method === 'GET' && request.rawPath === '/healthz';
}

function errorResponse(error: unknown, log: LogFields): CallbackResponse {
  const refusal = asCallbackError(error, 'the receiver');
  log.code = refusal.code;
  log.error = isCallbackError(error) ? refusal.message : String((error as Error)?.message ?? error);
  // The application's own error: its log needs it, the uploader never sees it.
  if (refusal.code === 'AnswerFailed' && refusal.cause !== undefined) log.cause = String((refusal.cause as Error)?.message ?? refusal.cause);
  // The store's own code (SQLITE_FULL, an OTS code, a DynamoDB error type), which the answer leaves out.
  if (refusal.code === 'StoreUnavailable' || refusal.code === 'DeadlineExceeded') log.storeCode = storeCode(refusal.cause);
  const response = refusalResponse(refusal);
  if (refusal.code === 'MethodNotAllowed') response.headers.allow = 'GET, POST';
  return response;
}

function callbackRecord(id: string, fields: CallbackFields, uploader: string | null, receivedAt: number): UploadRecord {
  return { id, source: 'callback', ...fields, uploader, lastModified: null, metadata: {}, receivedAt: new Date(receivedAt).toISOString() };
}

import { createHash } from 'node:crypto';
import { jsonLogger, type LogFields, type Logger } from './logger.js';
import type { Config } from './config.js';
import { asCallbackError, CallbackError, isCallbackError } from './errors.js';
import { jsonResponse, refusalResponse, type CallbackRequest, type CallbackResponse } from './exchange.js';
import { parseCallbackBody, type CallbackFields } from './protocol/callback-body.js';
import { verifyCallback, type KeyResolver } from './protocol/verify.js';
import { EntryStatus, type UploadStore } from './store/port.js';
import type { UploadRecord } from './store/record.js';
import { recordOnce } from './store/record-once.js';
import { withDeadline } from './deadline.js';
import type { Authorize } from './tickets/authorize.js';
import { takeTicket } from './tickets/ticket-field.js';

export interface HandleOptions {
  /** What the platform has left of its own timeout; the receiver answers before the earlier limit. */
  remainingMs?: number;
  /** The platform's request id, for the log line. */
  requestId?: string;
}

export interface Receiver {
  handle(request: CallbackRequest, options?: HandleOptions): Promise<CallbackResponse>;
}

export interface ReceiverDeps {
  config: Pick<Config, 'deadlineMs' | 'maxBodyBytes'> & Partial<Pick<Config, 'tickets'>>;
  store: UploadStore;
  keys: KeyResolver;
  logger?: Logger;
  now?: () => number;
}

/**
 * The pipeline every door runs: verify the signature over the bytes received, parse the body, check
 * the upload ticket, store the record once, answer JSON. Platform-free: doors only translate their
 * events to a CallbackRequest.
 */
export function createReceiver({ config, store, keys, logger = jsonLogger(), now = Date.now }: ReceiverDeps): Receiver {
  const tickets = config.tickets;
  // jose loads only where tickets are configured, keeping it out of every other cold start.
  let authorizer: Promise<Authorize> | undefined;
  const authorize: Authorize = async (fields, ticket, context) => {
    if (!tickets) return null;
    authorizer ??= import('./tickets/authorize.js').then(({ ticketAuthorizer }) => ticketAuthorizer(tickets, store));
    return (await authorizer)(fields, ticket, context);
  };

  async function record(request: CallbackRequest, deadline: number, signal: AbortSignal, log: LogFields) {
    const { signed, keyUrl } = await verifyCallback(request, keys);
    log.keyUrl = keyUrl;
    const { fields, ticket } = takeTicket(parseCallbackBody(request.headers['content-type'], request.body));
    const fingerprint = createHash('sha256').update(signed).digest('hex');
    const id = fields.reqId ?? fingerprint;
    Object.assign(log, { id, bucket: fields.bucket, object: fields.object });
    let uploader: string | null;
    try {
      uploader = await authorize(fields, ticket, { deadline, signal, now });
    } catch (error) {
      // A ticket expires or its key rotates out; a delivery identical to one already recorded still
      // gets the stored answer and writes nothing.
      const stored = isCallbackError(error) && error.code.startsWith('Ticket') ? await recorded(store, id, fingerprint, signal) : undefined;
      if (!stored) throw error;
      log.replayed = true;
      return stored;
    }
    log.uploader = uploader;
    const result = await recordOnce(store, { id, fingerprint, build: () => toRecord(id, fields, uploader, now()) }, { deadline, signal, now });
    log.replayed = result.replayed;
    return result.record;
  }

  return {
    async handle(request, options = {}) {
      const start = now();
      const log: LogFields = { method: request.method, path: request.rawPath, requestId: options.requestId };
      if (request.queryReconstructed) log.queryReconstructed = true;
      let response: CallbackResponse;
      try {
        const route = routeOf(request);
        if (route === 'health') return jsonResponse(200, { Status: 'OK' });
        if (request.body.length > config.maxBodyBytes) {
          throw new CallbackError('BodyTooLarge', `the body is larger than ${config.maxBodyBytes} bytes (OSS_CALLBACK_MAX_BODY)`);
        }
        const deadline = start + Math.min(config.deadlineMs, (options.remainingMs ?? Infinity) - PLATFORM_MARGIN_MS);
        const stored = await withDeadline(deadline, now(), (signal) => record(request, deadline, signal, log));
        response = jsonResponse(200, { Status: 'OK', record: stored });
      } catch (error) {
        response = errorResponse(error, log);
      }
      log.status = response.status;
      log.ms = now() - start;
      // A rebuilt query may differ from what OSS signed: worth a warning even when it verified.
      const level = response.status >= 500 ? 'error' : response.status >= 400 || request.queryReconstructed ? 'warn' : 'info';
      logger.log(level, 'callback', log);
      return response;
    },
  };
}

/** The record stored for exactly these signed bytes, if any; a store failure here counts as none. */
async function recorded(store: UploadStore, id: string, fingerprint: string, signal: AbortSignal): Promise<UploadRecord | undefined> {
  const entry = await store.get(id, { signal }).catch(() => undefined);
  return entry?.status === EntryStatus.COMPLETE && entry.fingerprint === fingerprint ? entry.record : undefined;
}

/** Time kept back from the platform's own limit to serialise and send the answer. */
const PLATFORM_MARGIN_MS = 250;

function routeOf(request: CallbackRequest): 'health' | 'callback' {
  if (request.method === 'GET' && request.rawPath === '/healthz') return 'health';
  if (request.method !== 'POST') {
    throw new CallbackError('MethodNotAllowed', `OSS callbacks are POST requests; ${request.method} is not allowed`);
  }
  return 'callback';
}

function errorResponse(error: unknown, log: LogFields): CallbackResponse {
  const refusal = asCallbackError(error, 'the receiver');
  log.code = refusal.code;
  log.error = isCallbackError(error) ? refusal.message : String((error as Error)?.message ?? error);
  const response = refusalResponse(refusal);
  if (refusal.code === 'MethodNotAllowed') response.headers.allow = 'GET, POST';
  return response;
}

function toRecord(id: string, fields: CallbackFields, uploader: string | null, receivedAt: number): UploadRecord {
  return { id, ...fields, uploader, receivedAt: new Date(receivedAt).toISOString() };
}

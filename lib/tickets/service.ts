import { randomUUID } from 'node:crypto';
import type { AliyunCredentials } from '../credentials.js';
import { asCallbackError, CallbackError } from '../errors.js';
import { jsonResponse, refusalResponse, type CallbackRequest, type CallbackResponse } from '../exchange.js';
import { jsonLogger, type LogFields, type Logger } from '../logger.js';
import type { Receiver } from '../exchange.js';
import { authenticator, DEV_USER_HEADER, type Authenticate } from './auth.js';
import type { TicketConfig } from './config.js';
import { issueUpload, parseTicketRequest } from './issue.js';

export interface TicketServiceDeps {
  config: TicketConfig;
  /** The credentials to sign with right now: FC's per-invocation STS credentials, or the environment's. */
  credentials: () => AliyunCredentials | undefined;
  authenticate?: Authenticate;
  logger?: Logger;
  now?: () => number;
}

/** The ticket function answers the same request shape every door speaks, so every door can serve it. */
export interface TicketService extends Receiver {
  /** The same check the function applies, for routes beside it (the local server's records list). */
  authenticate: Authenticate;
}

const ALLOWED_HEADERS = `authorization, content-type, ${DEV_USER_HEADER}`;

/** Only listed origins get CORS headers; the browser then refuses to show any other page the answer. */
function corsHeaders(origins: readonly string[], origin: string | undefined): Record<string, string> {
  if (origin === undefined || !(origins.includes('*') || origins.includes(origin))) return {};
  return { 'access-control-allow-origin': origins.includes('*') ? '*' : origin, vary: 'Origin' };
}

/** The JSON refusal every error becomes; `allow` lists the methods a 405 names. */
export function refusal(error: CallbackError, allow = 'POST, OPTIONS'): CallbackResponse {
  const response = refusalResponse(error);
  if (error.status === 401) response.headers['www-authenticate'] = 'Bearer';
  if (error.code === 'MethodNotAllowed') response.headers.allow = allow;
  return response;
}


/**
 * The ticket function: `POST` with the caller's credentials and `{fileName, size, contentType}`,
 * answered with the upload form (see issue.ts); `OPTIONS` for browsers' preflight. One JSON log line
 * per request, naming the user and the key, never a token, a ticket or a signature.
 */
export function createTicketService({ config, credentials, logger = jsonLogger(config.logLevel), now = Date.now, authenticate = authenticator(config.auth, now) }: TicketServiceDeps): TicketService {
  if (config.auth.mode === 'dev') logger.log('warn', 'OSS_TICKET_AUTH=dev: any caller can name any user; never deploy this');
  async function issue(request: CallbackRequest, log: LogFields): Promise<CallbackResponse> {
    if (request.method !== 'POST') throw new CallbackError('MethodNotAllowed', `ask for an upload with POST; ${request.method} is not allowed`);
    const subject = await authenticate(request.headers);
    log.uploader = subject;
    const ticketRequest = parseTicketRequest(request.body);
    const signer = credentials();
    if (!signer) {
      throw new CallbackError('Misconfigured', 'no Alibaba Cloud credentials to sign with: set ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET, or run on Function Compute with a role');
    }
    const issued = await issueUpload({ subject, request: ticketRequest, credentials: signer, config, now: now(), id: randomUUID() });
    Object.assign(log, { key: issued.key, size: ticketRequest.size, sts: signer.securityToken !== undefined });
    return jsonResponse(200, issued);
  }

  return {
    authenticate,
    async handle(request, options = {}) {
      const start = now();
      const cors = corsHeaders(config.corsOrigins, request.headers.origin);
      if (request.method === 'OPTIONS') {
        const headers = { ...cors, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': ALLOWED_HEADERS, 'access-control-max-age': '600' };
        return { status: 204, headers, body: Buffer.alloc(0) };
      }
      const log: LogFields = { method: request.method, requestId: options.requestId };
      let response: CallbackResponse;
      try {
        response = await issue(request, log);
      } catch (error) {
        const known = asCallbackError(error, 'the ticket function');
        response = refusal(known);
        log.code = known.code;
        if (known !== error) log.error = String((error as Error)?.message ?? error);
      }
      Object.assign(response.headers, cors);
      Object.assign(log, { status: response.status, ms: now() - start });
      logger.log(response.status >= 500 ? 'error' : response.status >= 400 ? 'warn' : 'info', 'ticket', log);
      return response;
    },
  };
}

import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { aliyunCredentialsFromEnv } from '../credentials.js';
import { CallbackError } from '../errors.js';
import { jsonResponse, type CallbackRequest, type CallbackResponse } from '../exchange.js';
import type { LocalRoutes } from '../exchange.js';
import { statsAnswer } from '../stats/stats-route.js';
import type { UploadStore } from '../store/port.js';
import { loadTicketConfig } from './config.js';
import { asCallbackError } from '../errors.js';
import { createTicketService, refusal, type TicketService } from './service.js';

export interface TicketRoutesOptions {
  tickets: TicketService;
  store: UploadStore;
  /** Serve the files of this folder at `/` (the development upload page). */
  webRoot?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const RECORDS_LIMIT = 20;

/** The page's files, read once: only these names are ever served, so no path reaches another file. */
function staticFiles(webRoot: string): Map<string, CallbackResponse> {
  const files = new Map<string, CallbackResponse>();
  for (const name of readdirSync(webRoot)) {
    const type = CONTENT_TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(webRoot, name));
    const response = { status: 200, headers: { 'content-type': type, 'content-length': String(body.length), 'cache-control': 'no-store' }, body };
    files.set(name === 'index.html' ? '/' : `/${name}`, response);
  }
  return files;
}

/**
 * What the local server answers beside the callback: `POST /tickets` (the ticket function),
 * `GET /records` (the signed-in user's latest uploads, for the page), `GET /stats` (every upload
 * per hour by source, for the page's chart; to any signed-in user) and, in development, the page.
 */
export function ticketRoutes({ tickets, store, webRoot }: TicketRoutesOptions): LocalRoutes {
  const files = webRoot ? staticFiles(webRoot) : new Map<string, CallbackResponse>();

  async function records(request: CallbackRequest): Promise<CallbackResponse> {
    try {
      if (request.method !== 'GET') throw new CallbackError('MethodNotAllowed', `list records with GET; ${request.method} is not allowed`);
      const uploader = await tickets.authenticate(request.headers);
      return jsonResponse(200, { uploader, records: await store.list({ uploader, limit: RECORDS_LIMIT }) });
    } catch (error) {
      return refusal(asCallbackError(error, 'listing records'), 'GET');
    }
  }

  async function stats(request: CallbackRequest): Promise<CallbackResponse> {
    try {
      await tickets.authenticate(request.headers);
      return await statsAnswer(store, request);
    } catch (error) {
      return refusal(asCallbackError(error, 'counting uploads'), 'GET');
    }
  }

  return (request) => {
    if (request.rawPath === '/tickets') return tickets.handle(request);
    if (request.rawPath === '/records') return records(request);
    if (request.rawPath === '/stats') return stats(request);
    const file = request.method === 'GET' ? files.get(request.rawPath) : undefined;
    return file && Promise.resolve(file);
  };
}

/**
 * `oss-callback serve` offers the ticket route when the environment configures the ticket function
 * (OSS_TICKET_AUTH set), signing with ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET / _SECURITY_TOKEN.
 * Throws a ConfigError naming the variable when the configuration is incomplete.
 */
export function ticketRoutesFromEnv(env: NodeJS.ProcessEnv): ((store: UploadStore) => LocalRoutes) | undefined {
  if (!env.OSS_TICKET_AUTH) return undefined;
  const tickets = createTicketService({ config: loadTicketConfig(env), credentials: () => aliyunCredentialsFromEnv(env) });
  return (store) => ticketRoutes({ tickets, store });
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config.js';
import { CallbackError } from '../errors.js';
import { buildReceiver } from '../build-receiver.js';
import { EVERY_STORE } from '../store/open-store.js';
import { openStoreWith } from '../store/store-uri.js';
import { checkStore, readinessRoute, unusableStore } from './readiness.js';
import { refusalResponse, type CallbackRequest, type CallbackResponse, type LocalRoutes, type Receiver } from '../exchange.js';
import { jsonLogger, linesPerTurn, type Logger } from '../logger.js';
import { splitTarget } from './request-target.js';
import type { UploadStore } from '../store/port.js';

export function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** Read the body, refusing it as soon as it passes `maxBytes` (the declared length is checked first). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new CallbackError('BodyTooLarge', `the body is larger than ${maxBytes} bytes (OSS_CALLBACK_MAX_BODY)`);
    if (Number(req.headers['content-length']) > maxBytes) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData).pause();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, total)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, response: CallbackResponse, close = false): void {
  if (close) res.setHeader('connection', 'close');
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

/**
 * The answer each connection is still writing. Bytes after a request that Node cannot parse end the
 * connection, but only once that answer is out: its record may already be stored.
 */
const answering = new WeakMap<Duplex, ServerResponse>();

/** The node:http door: the request line and body bytes go to the receiver untouched. */
export function nodeHttpHandler(receiver: Receiver, options: Pick<Config, 'maxBodyBytes' | 'deadlineMs'>, routes?: LocalRoutes) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const start = Date.now();
    answering.set(req.socket, res);
    // Node's own refusal of an HTTP/1.1 request without Host is a bare 400 (requireHostHeader is off).
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      return send(res, refusalResponse(new CallbackError('MalformedRequest', 'an HTTP/1.1 request must carry a Host header')), true);
    }
    let body: Buffer;
    try {
      body = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof CallbackError)) return void req.destroy();
      // The rest of the body is left unread, so this connection cannot carry another request.
      return send(res, refusalResponse(error), true);
    }
    const request: CallbackRequest = { method: req.method ?? 'GET', ...splitTarget(req.url ?? '/'), headers: headersOf(req), body };
    send(res, await (routes?.(request) ?? receiver.handle(request, { remainingMs: options.deadlineMs - (Date.now() - start) })));
  };
}

/**
 * Node's own answer to a request it cannot parse (a truncated body, a garbage request line) is a bare
 * 400 with no body; answer with the same JSON refusal every other bad input gets.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
  const refusal = new CallbackError('MalformedRequest', `the request is not valid HTTP/1.1 (${error.code ?? error.message})`);
  const { status, headers, body } = refusalResponse(refusal);
  const head = Object.entries({ ...headers, connection: 'close' }).map(([name, value]) => `${name}: ${value}\r\n`);
  const refuse = () => socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} Bad Request\r\n${head.join('')}\r\n`), body]));
  const inFlight = answering.get(socket);
  // A request whose body is complete is being answered: these bytes came after it. An incomplete one
  // is the request the error is about (a truncated body), so it is refused at once.
  if (inFlight && inFlight.req.complete && !inFlight.writableFinished) inFlight.once('finish', refuse);
  else refuse();
}

/** Node answers an `Expect` other than 100-continue with a bare 417; give it the JSON refusal. */
function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  const refusal = new CallbackError('ExpectationFailed', `Expect: ${JSON.stringify(req.headers.expect)} is not supported; only 100-continue is`);
  send(res, refusalResponse(refusal), true);
}

export interface LocalServer {
  url: string;
  store: UploadStore;
  close(): Promise<void>;
}

export interface LocalServerOptions {
  config: Config;
  port?: number;
  host?: string;
  logger?: Logger;
  /** Extra routes, given the server's store (the ticket routes take them: `npm run dev`, `serve`). */
  routes?: (store: UploadStore) => LocalRoutes;
}

/**
 * The receiver as a plain Node HTTP server: `oss-callback serve`, `npm start`, the simulator's
 * partner. It starts only on a store it can write to; `GET /healthz` says the process serves,
 * `GET /readyz` that the store records (readiness.ts).
 */
export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const { config } = options;
  const stdout = linesPerTurn((chunk) => process.stdout.write(chunk));
  const logger = options.logger ?? jsonLogger(config.logLevel, stdout.write);
  // A store that cannot record refuses the start, naming its own error, instead of serving 503s.
  const store = await openStoreWith(EVERY_STORE, config.store).catch((error: unknown) => {
    throw unusableStore(config.store, 'cannot be opened', error);
  });
  let receiver: Receiver;
  try {
    try {
      await store.init();
      await checkStore(store, config.deadlineMs);
    } catch (error) {
      throw unusableStore(store.description, 'cannot record uploads', error);
    }
    ({ receiver } = await buildReceiver(config, { stores: EVERY_STORE, store, logger }));
  } catch (error) {
    await store.close();
    throw error;
  }
  const ready = readinessRoute(store, config.deadlineMs, logger);
  const extra = options.routes?.(store);
  const routes: LocalRoutes = (request) => ready(request) ?? extra?.(request);
  const server: Server = createServer({ requestTimeout: 30_000, requireHostHeader: false }, nodeHttpHandler(receiver, config, routes));
  server.on('clientError', answerClientError);
  server.on('checkExpectation', refuseExpectation);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? config.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.log('info', 'listening', { url, store: store.description, trustedKeys: config.trustedKeysFile ?? 'official key only' });
  return {
    url,
    store,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
      stdout.flush();
    },
  };
}

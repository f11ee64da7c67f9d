import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ExchangeOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** A keep-alive agent of the URL's protocol: a warm instance opens its connections once. */
  agent: Agent;
  /** Aborting rejects with the signal's reason and drops the request. */
  signal?: AbortSignal | undefined;
  /** How long opening a connection may take: an unreachable host fails fast. */
  connectTimeoutMs?: number;
  /** How long the whole exchange may take. */
  timeoutMs?: number;
  /** An answer body past this many bytes is a failure. */
  maxBytes?: number;
}

export interface Exchanged {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** No whole answer came: the connection failed or broke off, a time limit passed, or the body was too large. */
export class ExchangeFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'network' | 'timeout' | 'too-large',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExchangeFailure';
  }
}

/**
 * One request to `origin` over `node:http(s)` and its whole answer, for the clients that need no SDK (the
 * DynamoDB store's, the OSS reader): `fetch` costs about 50 ms of cold start on its first call in
 * Node 20, and these clients make one or two kinds of call.
 */
export function exchange(origin: URL, path: string, options: ExchangeOptions): Promise<Exchanged> {
  const { method, headers, body, agent, signal, connectTimeoutMs, timeoutMs, maxBytes = Infinity } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const send = origin.protocol === 'https:' ? httpsRequest : httpRequest;
    const length = body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) };
    // The path as given, never through a URL parser, which would resolve a key's `..` segments.
    const target = { protocol: origin.protocol, hostname: origin.hostname, port: origin.port || undefined, path };
    const req = send({ ...target, method, headers: { ...headers, ...length }, agent });
    const timers: NodeJS.Timeout[] = [];
    const settle = () => {
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown) => {
      settle();
      req.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) timers.push(setTimeout(() => fail(new ExchangeFailure(`no answer within ${timeoutMs} ms`, 'timeout')), timeoutMs));
    if (connectTimeoutMs !== undefined) {
      req.once('socket', (socket) => {
        if (!socket.connecting) return;
        const connecting = setTimeout(() => fail(new ExchangeFailure('connection timed out (ETIMEDOUT)', 'timeout')), connectTimeoutMs);
        timers.push(connecting);
        socket.once('connect', () => clearTimeout(connecting));
      });
    }
    req.on('error', (error: NodeJS.ErrnoException) => fail(new ExchangeFailure(error.code ?? error.message, 'network', { cause: error })));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) return fail(new ExchangeFailure(`more than ${maxBytes} bytes`, 'too-large'));
        chunks.push(chunk);
      });
      res.on('error', (error: NodeJS.ErrnoException) => fail(new ExchangeFailure(`the answer broke off: ${error.code ?? error.message}`, 'network', { cause: error })));
      res.on('end', () => {
        settle();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks, total) });
      });
    });
    req.end(body);
  });
}

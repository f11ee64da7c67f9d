import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';

/** Every request has all three: a silent server, a stalled answer or a trickling body all end. */
export interface ExchangeLimits {
  /** Opening a new connection, TLS handshake included; a kept-alive connection skips it. */
  connectMs: number;
  /** From the request written to the answer's status line. */
  firstByteMs: number;
  /** The whole exchange, the answer's body included. */
  totalMs: number;
  /** An answer body past this many bytes is refused. */
  maxBodyBytes: number;
}

export interface ExchangeRequest {
  method: string;
  /** Sent as given, never through a URL parser (which would resolve an OSS key's `..` segments). */
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Aborting rejects with the signal's reason and drops the connection. */
  signal?: AbortSignal | undefined;
}

export interface Exchanged {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * No whole answer came. `code` is Node's (`ECONNREFUSED`, `ECONNRESET`, `ENOTFOUND`, …) or one of
 * ours: `ConnectTimeout`, `FirstByteTimeout`, `TotalTimeout`, `AnswerTooLarge`.
 */
export class ExchangeFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** Whether the request may have reached the server: false only when no connection was made. */
    readonly sent: boolean,
    /** The answer's status and headers, when they came before the body broke off. */
    readonly answer?: { status: number; headers: IncomingHttpHeaders },
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExchangeFailure';
  }

  get timeout(): boolean {
    return this.code.endsWith('Timeout');
  }
}

/**
 * Kept-alive connections, one agent per protocol, owned by one client: a warm instance pays the TCP
 * and TLS handshakes once, not per request. A connection the server closed while idle fails with
 * ECONNRESET on reuse, which every client's retry classification counts as transient (as the AWS SDK does).
 */
export class KeepAliveAgents {
  readonly #http = new HttpAgent({ keepAlive: true });
  #https: HttpsAgent | undefined;

  for(origin: URL): HttpAgent {
    return origin.protocol === 'https:' ? (this.#https ??= new (httpsModule().Agent)({ keepAlive: true })) : this.#http;
  }

  destroy(): void {
    this.#http.destroy();
    this.#https?.destroy();
  }
}

type Https = typeof import('node:https');
let https: Https | undefined;

/**
 * `node:https`, and TLS with it, loaded for the first https origin only: about 5 ms of a cold start
 * that talks plain http (a VPC endpoint, a local stand-in). Node 20.16 and later, Bun and Deno have
 * `process.getBuiltinModule`; older Node 20 a `require` of the builtin.
 */
function httpsModule(): Https {
  https ??= ((process as { getBuiltinModule?(id: string): unknown }).getBuiltinModule?.('node:https') as Https | undefined) ?? (createRequire(import.meta.url)('node:https') as Https);
  return https;
}

/**
 * One request to `origin` over `node:http(s)` and its whole answer, for the clients that need no SDK
 * (DynamoDB, Tablestore, the OSS reader): `fetch` costs about 50 ms of cold start on its first call in
 * Node 20, and each of these clients makes a few kinds of call. Any status is an answer; a failure to
 * get one is an `ExchangeFailure`, or the signal's reason when the caller aborted.
 */
export function exchange(origin: URL, request: ExchangeRequest, limits: ExchangeLimits, agent: HttpAgent): Promise<Exchanged> {
  const { method, path, headers, body, signal } = request;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const secure = origin.protocol === 'https:';
    const length = body === undefined ? {} : { 'content-length': String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength) };
    const req = (secure ? httpsModule().request : httpRequest)({
      protocol: origin.protocol,
      // URL keeps an IPv6 literal's brackets; the socket wants the address alone.
      hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: origin.port || undefined,
      path,
      method,
      headers: { ...headers, ...length },
      agent,
    });
    let connected = false;
    let written = false;
    let head: { status: number; headers: IncomingHttpHeaders } | undefined;
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();
    const limit = (ms: number, code: string, what: string) => {
      const timer = setTimeout(() => fail(new ExchangeFailure(`${what} within ${ms} ms (${code})`, code, connected, head)), ms);
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    };
    const settle = () => {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settle();
      req.destroy();
      reject(error);
    };
    const onAbort = () => fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    limit(limits.totalMs, 'TotalTimeout', 'no whole answer');

    let stopWaitingForHead: (() => void) | undefined;
    // The first-byte limit starts once the request is on a connection and fully written.
    const waitForHead = () => {
      if (connected && written && !head && !settled) stopWaitingForHead = limit(limits.firstByteMs, 'FirstByteTimeout', 'no answer');
    };
    req.once('socket', (socket: Socket) => {
      if (!socket.connecting) {
        connected = true;
        return waitForHead();
      }
      const stopConnecting = limit(limits.connectMs, 'ConnectTimeout', 'no connection');
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        stopConnecting();
        connected = true;
        waitForHead();
      });
    });
    req.once('finish', () => {
      written = true;
      waitForHead();
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'ERR_NETWORK';
      fail(new ExchangeFailure(`${code}: ${error.message}`, code, connected, head, { cause: error }));
    });
    req.once('response', (res) => {
      stopWaitingForHead?.();
      head = { status: res.statusCode ?? 0, headers: res.headers };
      const tooLarge = () => new ExchangeFailure(`the answer is larger than ${limits.maxBodyBytes} bytes`, 'AnswerTooLarge', true, head);
      if (Number(res.headers['content-length']) > limits.maxBodyBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > limits.maxBodyBytes) return fail(tooLarge());
        chunks.push(chunk);
      });
      const cut = (code: string, cause?: unknown) => fail(new ExchangeFailure(`the answer broke off after ${total} bytes (${code})`, code, true, head, { cause }));
      res.on('error', (error: NodeJS.ErrnoException) => cut(error.code ?? 'ECONNRESET', error));
      res.on('close', () => {
        if (!res.complete) cut('ECONNRESET');
      });
      res.on('end', () => {
        if (settled) return;
        settle();
        resolve({ status: head!.status, headers: head!.headers, body: Buffer.concat(chunks, total) });
      });
    });
    req.end(body);
  });
}

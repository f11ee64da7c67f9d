import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { exchange, ExchangeFailure, KeepAliveAgents, type ExchangeLimits } from '../../../lib/http/exchange.js';

const LIMITS: ExchangeLimits = { connectMs: 2_000, firstByteMs: 2_000, totalMs: 5_000, maxBodyBytes: 1_024 };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Served {
  origin: URL;
  received: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[];
  connections: number;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void): Promise<Served> {
  const served: Served = { origin: new URL('http://127.0.0.1'), received: [], connections: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      served.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', () => served.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.origin = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
  return served;
}

/** A TCP server that accepts connections and never says a word: no HTTP answer, no TLS handshake. */
async function silentTcp(): Promise<URL> {
  const sockets: Socket[] = [];
  const server: TcpServer = createTcpServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => (sockets.forEach((socket) => socket.destroy()), server.close(resolve))));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

function agents(): KeepAliveAgents {
  const made = new KeepAliveAgents();
  cleanups.push(() => made.destroy());
  return made;
}

const failureOf = async (work: Promise<unknown>): Promise<ExchangeFailure> => {
  const error = await work.then(() => undefined, (error: unknown) => error);
  expect(error).toBeInstanceOf(ExchangeFailure);
  return error as ExchangeFailure;
};

describe('exchange', () => {
  it('sends the method, headers and body with its length, the path as given, and returns the whole answer', async () => {
    const served = await serve((_, res) => res.writeHead(201, { 'x-answer': 'yes' }).end('created'));
    const pool = agents();
    const path = '/a/../b%2Fc/./d?list-type=2&prefix=x%2F..';
    const body = new Uint8Array([0, 1, 2, 255]);
    const answer = await exchange(served.origin, { method: 'POST', path, headers: { 'x-custom': 'v' }, body }, LIMITS, pool.for(served.origin));
    expect(answer).toMatchObject({ status: 201, body: Buffer.from('created') });
    expect(answer.headers['x-answer']).toBe('yes');
    expect(served.received).toHaveLength(1);
    expect(served.received[0]).toMatchObject({ method: 'POST', url: path, body: Buffer.from(body) });
    expect(served.received[0]!.headers).toMatchObject({ 'x-custom': 'v', 'content-length': '4', host: served.origin.host });
  });

  it('counts a string body in bytes, not characters', async () => {
    const served = await serve((_, res) => res.end());
    const pool = agents();
    await exchange(served.origin, { method: 'POST', path: '/', headers: {}, body: 'é€' }, LIMITS, pool.for(served.origin));
    expect(served.received[0]!.headers['content-length']).toBe('5');
    expect(served.received[0]!.body.toString()).toBe('é€');
  });

  it('keeps the connection alive between requests on one agent', async () => {
    const served = await serve((_, res) => res.end('ok'));
    const pool = agents();
    for (let i = 0; i < 3; i++) await exchange(served.origin, { method: 'GET', path: `/${i}`, headers: {} }, LIMITS, pool.for(served.origin));
    expect(served.received.map((request) => request.url)).toEqual(['/0', '/1', '/2']);
    expect(served.connections).toBe(1);
  });

  it('answers any status as an answer, a 5xx included', async () => {
    const served = await serve((_, res) => res.writeHead(503).end('busy'));
    const answer = await exchange(served.origin, { method: 'GET', path: '/', headers: {} }, LIMITS, agents().for(served.origin));
    expect(answer).toMatchObject({ status: 503, body: Buffer.from('busy') });
  });

  it('fails with ConnectTimeout, not sent, when the connection never completes (a TLS handshake that never comes)', async () => {
    const silent = await silentTcp();
    const origin = new URL(`https://127.0.0.1:${silent.port}`);
    const failure = await failureOf(exchange(origin, { method: 'GET', path: '/', headers: {} }, { ...LIMITS, connectMs: 100 }, agents().for(origin)));
    expect(failure).toMatchObject({ code: 'ConnectTimeout', sent: false, timeout: true, answer: undefined });
  });

  it('fails with FirstByteTimeout, sent, when the server reads the request and never answers', async () => {
    const served = await serve(() => {});
    const failure = await failureOf(exchange(served.origin, { method: 'POST', path: '/', headers: {}, body: 'x' }, { ...LIMITS, firstByteMs: 100 }, agents().for(served.origin)));
    expect(failure).toMatchObject({ code: 'FirstByteTimeout', sent: true, timeout: true, answer: undefined });
    expect(served.received).toHaveLength(1);
  });

  it('applies the first-byte limit on a kept-alive connection too', async () => {
    let calls = 0;
    const served = await serve((_, res) => void (calls++ === 0 && res.end('first')));
    const pool = agents();
    await exchange(served.origin, { method: 'GET', path: '/', headers: {} }, LIMITS, pool.for(served.origin));
    const failure = await failureOf(exchange(served.origin, { method: 'GET', path: '/', headers: {} }, { ...LIMITS, firstByteMs: 100 }, pool.for(served.origin)));
    expect(failure.code).toBe('FirstByteTimeout');
    expect(served.connections).toBe(1);
  });

  it('fails with TotalTimeout, keeping the status, when the body trickles past the total limit', async () => {
    const served = await serve((_, res) => {
      res.writeHead(200, { 'content-length': '100' });
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const failure = await failureOf(exchange(served.origin, { method: 'GET', path: '/', headers: {} }, { ...LIMITS, totalMs: 200 }, agents().for(served.origin)));
    expect(failure).toMatchObject({ code: 'TotalTimeout', sent: true, answer: { status: 200 } });
  });

  it('fails with the status kept when the answer breaks off in its body', async () => {
    const served = await serve((_, res) => {
      res.writeHead(200, { 'content-length': '100', 'content-type': 'application/x-amz-json-1.0' });
      res.write('{"Item":', () => res.socket?.destroy());
    });
    const failure = await failureOf(exchange(served.origin, { method: 'POST', path: '/', headers: {}, body: '{}' }, LIMITS, agents().for(served.origin)));
    expect(failure).toMatchObject({ code: 'ECONNRESET', sent: true, answer: { status: 200 } });
  });

  it('refuses an answer over the body cap, by its Content-Length or as it streams', async () => {
    const declared = await serve((_, res) => res.writeHead(200, { 'content-length': '2000' }).end('x'.repeat(2000)));
    const streamed = await serve((_, res) => {
      res.writeHead(200);
      for (let i = 0; i < 20; i++) res.write('x'.repeat(100));
      res.end();
    });
    for (const { origin } of [declared, streamed]) {
      const failure = await failureOf(exchange(origin, { method: 'GET', path: '/', headers: {} }, LIMITS, agents().for(origin)));
      expect(failure).toMatchObject({ code: 'AnswerTooLarge', answer: { status: 200 } });
    }
  });

  it('fails with ECONNREFUSED, not sent, when nothing listens', async () => {
    const served = await serve(() => {});
    const origin = served.origin;
    await cleanups.pop()!();
    const failure = await failureOf(exchange(origin, { method: 'GET', path: '/', headers: {} }, LIMITS, agents().for(origin)));
    expect(failure).toMatchObject({ code: 'ECONNREFUSED', sent: false });
  });

  it('rejects with the signal’s reason when aborted, before sending or while waiting, and frees the connection', async () => {
    const served = await serve(() => {});
    const pool = agents();
    const reason = new Error('caller gave up');
    await expect(exchange(served.origin, { method: 'GET', path: '/', headers: {}, signal: AbortSignal.abort(reason) }, LIMITS, pool.for(served.origin))).rejects.toBe(reason);
    expect(served.received).toHaveLength(0);
    const controller = new AbortController();
    const pending = exchange(served.origin, { method: 'GET', path: '/', headers: {}, signal: controller.signal }, LIMITS, pool.for(served.origin));
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
    expect(served.received).toHaveLength(1);
  });

  it('does not put a connection whose exchange failed back into the pool', async () => {
    let calls = 0;
    const served = await serve((_, res) => void (calls++ === 0 ? undefined : res.end('ok')));
    const pool = agents();
    await failureOf(exchange(served.origin, { method: 'GET', path: '/', headers: {} }, { ...LIMITS, firstByteMs: 100 }, pool.for(served.origin)));
    const answer = await exchange(served.origin, { method: 'GET', path: '/', headers: {} }, LIMITS, pool.for(served.origin));
    expect(answer.body.toString()).toBe('ok');
    expect(served.connections).toBe(2);
  });

  it('leaves no timer behind: a finished exchange keeps no handle open', async () => {
    const served = await serve((_, res) => res.end('ok'));
    const pool = agents();
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    await exchange(served.origin, { method: 'GET', path: '/', headers: {} }, { ...LIMITS, totalMs: 60_000, firstByteMs: 60_000 }, pool.for(served.origin));
    expect(process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length).toBe(before);
  });
});

describe('node:https', () => {
  it('is loaded for the first https origin only: a process that talks plain http never loads it (about 5 ms of a cold start)', async () => {
    // A fresh process, since vitest's own has loaded it long ago.
    const script = `
      import { createServer } from 'node:http';
      import { exchange, KeepAliveAgents } from './lib/http/exchange.ts';
      const server = createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const origin = new URL('http://127.0.0.1:' + server.address().port);
      const agents = new KeepAliveAgents();
      const answer = await exchange(origin, { method: 'GET', path: '/', headers: {} }, { connectMs: 1000, firstByteMs: 1000, totalMs: 2000, maxBodyBytes: 100 }, agents.for(origin));
      const before = process.moduleLoadList.includes('NativeModule https');
      agents.for(new URL('https://example.invalid'));
      const after = process.moduleLoadList.includes('NativeModule https');
      agents.destroy();
      server.close();
      console.log(JSON.stringify({ status: answer.status, before, after }));`;
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ status: 200, before: false, after: true });
  });
});

import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { loadConfig } from '../../lib/config.js';
import type { CallbackRequest } from '../../lib/exchange.js';
import type { Logger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { SqliteStore } from '../../lib/store/sqlite.js';
import { testKey } from '../support/keys.js';
import { tempDir } from '../support/temp-dir.js';
import { writeFileSync } from 'node:fs';

/** The local server over real HTTP and a real SQLite file: what `npm start` runs. */
describe('local server (node:http + SQLite)', () => {
  const dir = tempDir();
  const database = join(dir, 'uploads.db');
  const lines: Record<string, unknown>[] = [];
  let server: LocalServer;

  beforeAll(async () => {
    const trustedKeys = join(dir, 'trusted-keys.json');
    writeFileSync(trustedKeys, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));
    const config = loadConfig({ UPLOAD_STORE: `sqlite:${database}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, OSS_CALLBACK_MAX_BODY: '1024' });
    const logger: Logger = { log: (level, message, fields) => lines.push({ level, message, ...fields }) };
    server = await startLocalServer({ config, port: 0, logger });
  });
  afterAll(() => server.close());

  const callback = (target: string, body: string): CallbackRequest =>
    signedCallback({ privateKey: testKey.privateKey, keyUrl: testKey.keyUrl, url: `${server.url}${target}`, body: Buffer.from(body), contentType: 'application/x-www-form-urlencoded' });
  const send = (request: CallbackRequest) => sendRequest(server.url, request);
  const answer = (sent: { body: Buffer }) => JSON.parse(sent.body.toString('utf8'));

  /** Write raw bytes on a fresh connection and read until the server closes it or `ms` pass. */
  const raw = (bytes: Buffer | string, ms = 1500) =>
    new Promise<string>((resolve) => {
      const { port } = new URL(server.url);
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('latin1')));
      socket.on('close', () => resolve(received));
      socket.on('error', () => resolve(received));
      socket.setTimeout(ms, () => socket.destroy());
      socket.end(bytes);
    });

  it('records a callback to an encoded, non-ASCII path with a query, in the SQLite file', async () => {
    const sent = await send(callback('/%E4%B8%8A%E4%BC%A0/cb+1?tenant=7&next=%2Fdone', 'bucket=photos&object=%E7%8C%AB.jpg&size=9&reqId=E2E1'));

    expect(sent.status).toBe(200);
    expect(Number(sent.headers['content-length'])).toBe(sent.body.length);
    expect(answer(sent).record).toMatchObject({ id: 'req:E2E1', object: '猫.jpg', size: 9 });
    const reader = new SqliteStore(database);
    try {
      expect((await reader.get('req:E2E1'))?.record).toEqual(answer(sent).record);
    } finally {
      await reader.close();
    }
  });

  it('answers a replayed delivery with the stored answer and writes nothing new', async () => {
    const request = callback('/cb', 'bucket=b&object=replayed&reqId=E2E2');
    const first = await send(request);
    const second = await send(request);

    expect(second.status).toBe(200);
    expect(second.body.equals(first.body)).toBe(true);
    expect((await server.store.list({ bucket: 'b', prefix: 'replayed' })).length).toBe(1);
  });

  it('turns thirty racing duplicates over HTTP into one record and one answer', async () => {
    const request = callback('/cb', 'bucket=b&object=raced&reqId=E2E3');
    const sent = await Promise.all(Array.from({ length: 30 }, () => send(request)));

    expect(sent.map((s) => s.status)).toEqual(Array(30).fill(200));
    expect(new Set(sent.map((s) => s.body.toString())).size).toBe(1);
    expect((await server.store.list({ bucket: 'b', prefix: 'raced' })).length).toBe(1);
  });

  it('refuses a tampered callback with 401 and stores nothing', async () => {
    const request = callback('/cb', 'bucket=b&object=tampered&reqId=E2E4');
    const sent = await send({ ...request, body: Buffer.from('bucket=b&object=tamperex&reqId=E2E4') });

    expect(sent.status).toBe(401);
    expect(answer(sent)).toMatchObject({ Status: 'Error', code: 'SignatureMismatch' });
    expect(await server.store.get('req:E2E4')).toBeUndefined();
  });

  it('refuses a signed form value that percent-encodes bytes that are not UTF-8, and stores nothing', async () => {
    const sent = await send(callback('/cb', 'bucket=b&object=not-utf8&reqId=E2E8&x:s=%FF%FE'));

    expect(sent.status).toBe(400);
    expect(answer(sent)).toMatchObject({ Status: 'Error', code: 'MalformedBody', message: 'the value of field "x:s", percent-decoded, is not valid UTF-8' });
    expect(await server.store.get('req:E2E8')).toBeUndefined();
  });

  it('refuses a body declared over the limit with 413 without reading it, and closes the connection', async () => {
    const reply = await raw(`POST /cb HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\nbucket=b`);

    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply).toMatch(/connection: close/i);
    expect(reply).toContain('"code":"BodyTooLarge"');
  });

  it('refuses a chunked body that grows over the limit while reading it', async () => {
    const chunk = 'a'.repeat(600);
    const reply = await raw(
      `POST /cb HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('refuses a truncated body and a garbage request line with JSON 400s, and keeps serving', async () => {
    const truncated = await raw(`POST /cb HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nbucket=b&obj`, 300);
    const garbage = await raw('\x16\x03\x01 not http at all\r\n\r\n');

    for (const reply of [truncated, garbage]) {
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(reply).toContain('"code":"MalformedRequest"');
    }
    expect(await server.store.list({ bucket: 'b', prefix: 'obj' })).toEqual([]);
    const health = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(health).toMatch(/^HTTP\/1\.1 200 /);
  });

  /** Every answer in a raw reply, in order: status, headers and the body its Content-Length says. */
  const answers = (reply: string) => {
    const found: { status: number; headers: string; body: string }[] = [];
    let rest = reply;
    while (rest.startsWith('HTTP/1.1 ')) {
      const end = rest.indexOf('\r\n\r\n');
      const head = rest.slice(0, end);
      const length = /\r\ncontent-length: (\d+)/i.exec(head)?.[1];
      // Without a Content-Length (Node's bare refusals) the body runs to the end of the reply.
      const bodyEnd = end < 0 ? rest.length : length === undefined ? rest.length : end + 4 + Number(length);
      found.push({ status: Number(head.slice(9, 12)), headers: head, body: rest.slice(end + 4, bodyEnd) });
      rest = rest.slice(bodyEnd);
    }
    return found;
  };

  it('refuses an HTTP/1.1 request without Host with a JSON 400 that has Content-Length', async () => {
    const reply = await raw(`POST /cb HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 17\r\n\r\nbucket=b&object=o`);

    const [answer] = answers(reply);
    expect(answer?.status).toBe(400);
    expect(answer?.headers).toMatch(/\r\ncontent-length: \d+/i);
    expect(JSON.parse(answer!.body)).toEqual({ Status: 'Error', code: 'MalformedRequest', message: 'an HTTP/1.1 request must carry a Host header' });
  });

  it('refuses an Expect other than 100-continue with a JSON 417, and still honours 100-continue', async () => {
    const unknown = await raw(`POST /cb HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 17\r\n\r\nbucket=b&object=o`);
    const request = callback('/cb', 'bucket=b&object=continued&reqId=E2E6');
    const head = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const continued = await raw(`POST /cb HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n${head}\r\n${request.body.toString()}`);

    const [refused] = answers(unknown);
    expect(refused?.status).toBe(417);
    expect(refused?.headers).toMatch(/\r\ncontent-length: \d+/i);
    expect(JSON.parse(refused!.body)).toMatchObject({ Status: 'Error', code: 'ExpectationFailed' });
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it('answers a valid callback before refusing garbage that follows it on the same keep-alive connection', async () => {
    const request = callback('/cb', 'bucket=b&object=pipelined&reqId=E2E7');
    const head = Object.entries({ ...request.headers, connection: 'keep-alive' }).map(([name, value]) => `${name}: ${value}\r\n`).join('');

    const reply = await raw(`POST /cb HTTP/1.1\r\nHost: x\r\n${head}\r\n${request.body.toString()}\x16\x03\x01 not http\r\n\r\n`);

    const [first, second, ...more] = answers(reply);
    expect(first?.status).toBe(200);
    expect(JSON.parse(first!.body).record).toMatchObject({ id: 'req:E2E7', object: 'pipelined' });
    expect(second?.status).toBe(400);
    expect(JSON.parse(second!.body)).toMatchObject({ code: 'MalformedRequest' });
    expect(more).toEqual([]);
    expect((await server.store.get('req:E2E7'))?.record.object).toBe('pipelined');
  });

  it('answers GET /healthz with 200 and other GETs with 405', async () => {
    const health = await sendRequest(server.url, { method: 'GET', rawPath: '/healthz', rawQuery: null, headers: {}, body: Buffer.alloc(0) });
    const other = await sendRequest(server.url, { method: 'GET', rawPath: '/cb', rawQuery: null, headers: {}, body: Buffer.alloc(0) });

    expect(health.status).toBe(200);
    expect(other.status).toBe(405);
    expect(answer(other).code).toBe('MethodNotAllowed');
  });

  it('logs one JSON-safe line per callback, none with the signature', async () => {
    const before = lines.length;
    const request = callback('/cb', 'bucket=b&object=logged&reqId=E2E5&x:ticket=do-not-log');
    await send(request);

    const added = lines.slice(before);
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ message: 'callback', status: 200, id: 'req:E2E5', path: '/cb' });
    expect(JSON.stringify(added)).not.toContain(request.headers.authorization);
    expect(JSON.stringify(added)).not.toContain('do-not-log');
  });
});

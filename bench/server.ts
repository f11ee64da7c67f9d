import { createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../lib/config.js';
import type { CallbackRequest } from '../lib/exchange.js';
import { jsonLogger, linesPerTurn } from '../lib/logger.js';
import { startLocalServer } from '../lib/platforms/node-http.js';
import { signedCallback } from '../lib/protocol/sign.js';
import { percentile, type BenchLine } from './report.js';

const CONCURRENCY = 32;
const DURATION_MS = 1500;
/**
 * Rounds alternate the servers, so a noisy moment hurts each about equally; the median is reported.
 * The first round warms every server up (JIT, page cache) and is not counted.
 */
const ROUNDS = 6;

/** Keep CONCURRENCY requests in flight for DURATION_MS over one keep-alive agent; requests/s. */
async function load(url: string, next: () => CallbackRequest): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const send = (request: CallbackRequest) =>
    new Promise<void>((resolve, reject) => {
      const target = request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
      const req = httpRequest({ agent, hostname, port, method: 'POST', path: target, headers: { ...request.headers, connection: 'keep-alive' } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url} answered HTTP ${res.statusCode}`));
        res.resume().on('end', resolve);
      });
      req.on('error', reject);
      req.end(request.body);
    });
  const end = Date.now() + DURATION_MS;
  let done = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await send(next());
        done++;
      }
    }),
  );
  agent.destroy();
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readAll(req: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * The baseline a careful engineer would write by hand: node:http, RSA-MD5 over the decoded path, raw
 * query and body with a cached KeyObject, one conditional INSERT into WAL SQLite, the record answered
 * as JSON. No deadline, no log line, no key policy, no ticket step: the floor our pipeline is held to.
 */
function minimalReceiver(publicKey: KeyObject, path: string): Server {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE uploads (id TEXT PRIMARY KEY, record TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO uploads (id, record) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  return createServer(async (req, res) => {
    const body = await readAll(req);
    const [path, query] = (req.url as string).split(/\?(.*)/s);
    const signed = Buffer.concat([Buffer.from(`${decodeURIComponent(path as string)}${query === undefined ? '' : `?${query}`}\n`), body]);
    const signature = Buffer.from(req.headers.authorization as string, 'base64');
    if (!verify('md5', signed, publicKey, signature)) {
      res.writeHead(401).end();
      return;
    }
    const fields = Object.fromEntries(new URLSearchParams(body.toString()));
    const record = JSON.stringify({ id: fields.reqId, ...fields, receivedAt: new Date().toISOString() });
    insert.run(fields.reqId, record);
    const answer = Buffer.from(`{"Status":"OK","record":${record}}`);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
  });
}

/** The bare HTTP floor: read the body, answer a constant JSON. */
function bareServer(): Server {
  const constant = Buffer.from('{"Status":"OK"}');
  return createServer(async (req, res) => {
    await readAll(req);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': constant.length }).end(constant);
  });
}

/**
 * Callbacks through the local server on SQLite (verify, parse, one conditional write, JSON answer, one
 * JSON log line to a file), against a minimal hand-written receiver doing the same job and the bare
 * HTTP floor, each in this process, with the same client, alternating over ROUNDS rounds.
 */
export async function run(): Promise<BenchLine[]> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
  const keyUrl = 'https://bench.invalid/key.pem';
  const dir = mkdtempSync(join(tmpdir(), 'oss-callback-bench-'));
  const trustedKeys = join(dir, 'trusted-keys.json');
  writeFileSync(trustedKeys, JSON.stringify({ [keyUrl]: publicKey.export({ type: 'spki', format: 'pem' }) }));
  const config = loadConfig({ UPLOAD_STORE: process.env.BENCH_STORE ?? `sqlite:${join(dir, 'ours.db')}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys });
  // The log goes where `npm start > callbacks.log` sends it, as the server writes stdout: a turn's
  // lines at a time, and synchronously, as Node writes stdout to a file.
  const logFile = openSync(join(dir, 'callbacks.log'), 'a');
  const log = linesPerTurn((chunk) => writeSync(logFile, chunk));
  const ours = await startLocalServer({ config, port: 0, logger: jsonLogger('info', log.write) });
  const minimal = minimalReceiver(createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), join(dir, 'minimal.db'));
  const bare = bareServer();
  const urls = { ours: ours.url, minimal: await listen(minimal), bare: await listen(bare) };

  // Signed ahead of time so the client costs the same for every server; each upload is a new one
  // (for each server: they keep separate files).
  const callbacks = Array.from({ length: 60_000 }, (_, i) =>
    signedCallback({
      privateKey,
      keyUrl,
      url: `http://127.0.0.1/oss/callback`,
      body: Buffer.from(`bucket=bench&object=uploads%2F${i}.jpg&etag=D41D8CD98F00B204E9800998ECF8${String(i).padStart(4, '0')}&size=${1000 + i}&mimeType=image%2Fjpeg&reqId=BENCH${i}&x:uid=42`),
      contentType: 'application/x-www-form-urlencoded',
    }),
  );
  const next = { ours: 0, minimal: 0, bare: 0 };
  const rates = { ours: [] as number[], minimal: [] as number[], bare: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ['ours', 'minimal', 'bare'] as const) {
      const rate = await load(urls[name], () => callbacks[next[name]++ % callbacks.length]!);
      if (round > 0) rates[name].push(rate);
    }
  }
  await ours.close();
  await Promise.all([minimal, bare].map((server) => new Promise((resolve) => server.close(resolve))));
  log.flush();
  closeSync(logFile);

  const median = (name: keyof typeof rates) => percentile(rates[name], 50);
  const label = `local server, SQLite (${CONCURRENCY} in flight)`;
  return [
    { name: label, value: median('ours'), unit: 'callbacks/s', better: 'higher', baseline: { name: 'minimal hand-written receiver (verify, one INSERT, JSON)', value: median('minimal') } },
    { name: label, value: median('ours'), unit: 'callbacks/s', better: 'higher', baseline: { name: 'bare node:http, constant JSON', value: median('bare') } },
  ];
}

import { generateKeyPairSync } from 'node:crypto';
import { createServer, request as httpRequest, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../lib/config.js';
import type { CallbackRequest } from '../lib/exchange.js';
import { silentLogger } from '../lib/logger.js';
import { startLocalServer } from '../lib/platforms/node-http.js';
import { signedCallback } from '../lib/protocol/sign.js';
import type { BenchLine } from './report.js';

const CONCURRENCY = 16;
const DURATION_MS = 3000;

/** Keep CONCURRENCY requests in flight for DURATION_MS over one keep-alive agent; requests/s. */
async function load(url: string, next: () => CallbackRequest): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const { hostname, port } = new URL(url);
  const send = (request: CallbackRequest) =>
    new Promise<void>((resolve, reject) => {
      const target = request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
      const req = httpRequest({ agent, hostname, port, method: 'POST', path: target, headers: { ...request.headers, connection: 'keep-alive' } }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
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

/**
 * Callbacks through the local server (verify, parse, memory store, JSON answer) against a bare
 * node:http server answering a constant JSON, with the same client, in the same process.
 */
export async function run(): Promise<BenchLine[]> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
  const keyUrl = 'https://bench.invalid/key.pem';
  const dir = mkdtempSync(join(tmpdir(), 'oss-callback-bench-'));
  const trustedKeys = join(dir, 'trusted-keys.json');
  writeFileSync(trustedKeys, JSON.stringify({ [keyUrl]: publicKey.export({ type: 'spki', format: 'pem' }) }));
  const config = loadConfig({ UPLOAD_STORE: 'memory:', OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, LOG_LEVEL: 'silent' });
  const server = await startLocalServer({ config, port: 0, logger: silentLogger });

  // Sign ahead of time so the client costs the same as for the baseline; each upload is a new one.
  const callbacks = Array.from({ length: 40_000 }, (_, i) =>
    signedCallback({
      privateKey,
      keyUrl,
      url: `${server.url}/oss/callback`,
      body: Buffer.from(`bucket=bench&object=uploads%2F${i}.jpg&size=${1000 + i}&mimeType=image%2Fjpeg&reqId=BENCH${i}`),
      contentType: 'application/x-www-form-urlencoded',
    }),
  );
  let i = 0;
  const ours = await load(server.url, () => callbacks[i++ % callbacks.length]!);
  await server.close();

  const constant = Buffer.from('{"Status":"OK"}');
  const bare = createServer((req, res) => {
    req.resume().on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': constant.length });
      res.end(constant);
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const baseline = await load(bareUrl, () => callbacks[i++ % callbacks.length]!);
  await new Promise<void>((resolve) => bare.close(() => resolve()));

  return [{ name: `local server, memory store (${CONCURRENCY} in flight)`, value: ours, unit: 'callbacks/s', baseline: { name: 'bare node:http, constant JSON', value: baseline } }];
}

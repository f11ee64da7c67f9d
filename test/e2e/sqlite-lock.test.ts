import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { loadConfig } from '../../lib/config.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { testKey } from '../support/keys.js';
import { tempDir } from '../support/temp-dir.js';

const DEADLINE_MS = 800;

/**
 * Another process (a backup, a `sqlite3` shell) holds the write lock of the server's SQLite file.
 * Callbacks must cost a 503 before their deadline and nothing else: the event loop keeps turning,
 * /healthz answers throughout, and a redelivery after the lock is gone records every upload.
 */
describe('local server while another process holds the SQLite write lock', () => {
  const dir = tempDir();
  const database = join(dir, 'uploads.db');
  let server: LocalServer;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const trustedKeys = join(dir, 'trusted-keys.json');
    writeFileSync(trustedKeys, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));
    const config = loadConfig({ UPLOAD_STORE: `sqlite:${database}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, OSS_CALLBACK_DEADLINE_MS: String(DEADLINE_MS) });
    server = await startLocalServer({ config, port: 0, logger: { log: (level, message, fields) => lines.push({ level, message, ...fields }) } });
  });
  afterAll(() => server.close());

  /** A second process that takes the write lock, says so, and holds it until told to let go. */
  async function holdLock(): Promise<{ child: ChildProcess; release: () => Promise<void> }> {
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1]);
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('locked\\n');
      process.stdin.once('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });`;
    const child = spawn(process.execPath, ['-e', script, database], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the lock holder exited with ${code}`)));
    });
    return {
      child,
      release: () =>
        new Promise((resolve) => {
          child.once('exit', () => resolve());
          child.stdin?.write('go\n');
        }),
    };
  }

  const callback = (i: number) =>
    signedCallback({
      privateKey: testKey.privateKey,
      keyUrl: testKey.keyUrl,
      url: `${server.url}/oss/callback`,
      body: Buffer.from(`bucket=b&object=locked%2F${i}.jpg&etag=E${i}&size=${i}&reqId=LOCK${i}`),
      contentType: 'application/x-www-form-urlencoded',
    });

  it('answers every callback 503 before its deadline, keeps /healthz and the event loop responsive, and records all on redelivery', async () => {
    const lock = await holdLock();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const callbacks = Array.from({ length: 50 }, (_, i) => callback(i));
    let answeredSoFar = 0;
    const answers = Promise.all(
      callbacks.map(async (request) => {
        const sent = await sendRequest(server.url, request);
        answeredSoFar++;
        return { status: sent.status, code: JSON.parse(sent.body.toString()).code as string };
      }),
    );
    // While the callbacks wait for the lock, the server answers a health check.
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS / 4));
    const health = await sendRequest(server.url, { method: 'GET', rawPath: '/healthz', rawQuery: null, headers: {}, body: Buffer.alloc(0) });
    const answeredBeforeHealth = answeredSoFar;
    const answered = await answers;
    loop.disable();
    await lock.release();

    expect(health.status).toBe(200);
    // Answered while the callbacks were still retrying, not after them.
    expect(answeredBeforeHealth).toBeLessThan(callbacks.length);
    for (const answer of answered) expect(answer).toMatchObject({ status: 503, code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) });
    // Each answered by its deadline, as the receiver measured it (the client's own clock adds the
    // queueing of fifty connections on a loaded machine).
    const logged = lines.filter((line) => line.message === 'callback');
    expect(logged).toHaveLength(callbacks.length);
    for (const line of logged) expect((line.ms as number) / DEADLINE_MS).toBeLessThan(1.25);
    // No synchronous wait for the lock: the longest stall is a small part of the deadline (a lock
    // waited for synchronously holds the loop for seconds).
    expect(loop.max / 1e6 / DEADLINE_MS).toBeLessThan(0.25);
    // A refusal that had the store's own error logs its code.
    const refusals = lines.filter((line) => line.message === 'callback' && line.code === 'StoreUnavailable');
    for (const line of refusals) expect(line).toMatchObject({ level: 'error', storeCode: 'SQLITE_BUSY' });

    const redelivered = await Promise.all(callbacks.map((request) => sendRequest(server.url, request)));
    expect(redelivered.map((sent) => sent.status)).toEqual(callbacks.map(() => 200));
    expect(await server.store.list({ bucket: 'b', prefix: 'locked/' })).toHaveLength(50);
  });
});

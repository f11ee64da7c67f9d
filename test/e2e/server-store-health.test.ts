import { copyFileSync, mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { loadConfig } from '../../lib/config.js';
import type { CallbackRequest } from '../../lib/exchange.js';
import type { Logger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { openSqliteStore } from '../../lib/store/sqlite.js';
import { runCli } from '../support/cli-io.js';
import { testKey } from '../support/keys.js';
import { canMount, mountSmallFilesystem, type SmallFilesystem } from '../support/small-filesystem.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * A store that cannot write is visible: the local server refuses to start on it, `GET /readyz`
 * turns 503 while writes fail (and back to 200), every 503's log line names the store's own code, and
 * a database file deleted under the server gets 503s, never a 200. Real conditions: a read-only mount,
 * a full one (tmpfs, needs root as CI has), a deleted file.
 */
describe('local server on a store that cannot write', () => {
  const dir = tempDir();
  const trustedKeys = join(dir, 'trusted-keys.json');
  writeFileSync(trustedKeys, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));
  const env = (database: string) => ({ UPLOAD_STORE: `sqlite:${database}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, OSS_CALLBACK_DEADLINE_MS: '1500' });

  const lines: Record<string, unknown>[] = [];
  const logger: Logger = { log: (level, message, fields) => lines.push({ level, message, ...fields }) };
  let server: LocalServer | undefined;
  let fs: SmallFilesystem | undefined;
  afterEach(async () => {
    await server?.close();
    fs?.unmount();
    server = fs = undefined;
    lines.length = 0;
  });

  const start = async (database: string) => (server = await startLocalServer({ config: loadConfig(env(database)), port: 0, logger }));

  const get = (path: string) => sendRequest((server as LocalServer).url, { method: 'GET', rawPath: path, rawQuery: null, headers: {}, body: Buffer.alloc(0) });
  const json = (sent: { body: Buffer }) => JSON.parse(sent.body.toString('utf8')) as Record<string, unknown>;
  let uploads = 0;
  const callback = (): CallbackRequest =>
    signedCallback({
      privateKey: testKey.privateKey,
      keyUrl: testKey.keyUrl,
      url: `${(server as LocalServer).url}/oss/callback`,
      body: Buffer.from(`bucket=b&object=health%2F${++uploads}.jpg&etag=E${uploads}&size=1&x:note=${'n'.repeat(400)}`),
      contentType: 'application/x-www-form-urlencoded',
    });
  const send = (request: CallbackRequest) => sendRequest((server as LocalServer).url, request);
  const logOf = (request: CallbackRequest) => lines.filter((line) => line.message === 'callback' && line.object === `health/${request.body.toString().match(/health%2F(\d+)/)?.[1]}.jpg`);

  it('answers /healthz (liveness) and /readyz (readiness) 200 on a store that writes', async () => {
    await start(join(dir, 'healthy', 'uploads.db'));
    const [health, ready] = [await get('/healthz'), await get('/readyz')];

    expect([health.status, ready.status]).toEqual([200, 200]);
    expect(json(ready)).toEqual({ Status: 'OK' });
    expect(ready.headers['content-length']).toBe(String(ready.body.length));
  });

  it('turns /readyz 503 with SQLITE_READONLY_DBMOVED, and every callback 503 with it logged, once the database file is deleted', async () => {
    const database = join(dir, 'deleted', 'uploads.db');
    await start(database);
    const before = callback();
    expect((await send(before)).status).toBe(200);

    rmSync(database);
    const after = [callback(), callback()];
    const answers = await Promise.all(after.map(send));
    const ready = await get('/readyz');

    expect(answers.map((sent) => [sent.status, json(sent).code])).toEqual([[503, 'StoreUnavailable'], [503, 'StoreUnavailable']]);
    for (const request of after) expect(logOf(request)).toMatchObject([{ level: 'error', status: 503, storeCode: 'SQLITE_READONLY_DBMOVED' }]);
    expect([ready.status, json(ready)]).toEqual([503, { Status: 'Error', code: 'StoreUnavailable', message: 'the store cannot record uploads now', storeCode: 'SQLITE_READONLY_DBMOVED' }]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'store not ready', storeCode: 'SQLITE_READONLY_DBMOVED' }));
    // /healthz is liveness: the process still serves.
    expect((await get('/healthz')).status).toBe(200);
  });

  describe.runIf(canMount())('on a small file system of its own (tmpfs: needs root)', () => {
    it('refuses to start on a read-only mount, naming SQLite\'s error, and exits non-zero', async () => {
      // Prepare: one store closed cleanly, one left mid-write (its log and shared memory still there).
      fs = mountSmallFilesystem(4 * 1024 * 1024);
      const clean = join(fs.dir, 'clean', 'uploads.db');
      await openSqliteStore(clean).close();
      const live = openSqliteStore(join(fs.dir, 'live', 'uploads.db'));
      await live.checkWritable?.();
      mkdirSync(join(fs.dir, 'left'));
      for (const suffix of ['', '-wal', '-shm']) copyFileSync(join(fs.dir, 'live', `uploads.db${suffix}`), join(fs.dir, 'left', `uploads.db${suffix}`));
      await live.close();
      fs.readOnly();
      // Act
      const runs = await Promise.all([clean, join(fs.dir, 'left', 'uploads.db')].map((database) => runCli(['serve', '--port', '0'], { env: env(database) })));
      // Assess
      expect(runs.map((run) => run.code)).toEqual([1, 1]);
      expect(runs[0]?.stderr).toBe(`oss-callback serve: the store sqlite:${clean} cannot be opened (SQLITE_CANTOPEN: unable to open database file)\n`);
      expect(runs[1]?.stderr).toMatch(/^oss-callback serve: the store sqlite:\S+ cannot record uploads \(SQLITE_READONLY[A-Z_]*: attempt to write a readonly database\)\n$/);
    });

    it('turns /readyz 503 with SQLITE_FULL while the disk is full, logs it on every 503, and recovers when there is room', async () => {
      fs = mountSmallFilesystem(4 * 1024 * 1024);
      await start(join(fs.dir, 'uploads.db'));
      expect((await send(callback())).status).toBe(200);

      const { bavail, bsize } = statfsSync(fs.dir);
      writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(bavail * bsize));
      const refused = callback();
      const whileFull = [await send(refused), await get('/readyz')];
      rmSync(join(fs.dir, 'filler'));
      const [ready, accepted] = [await get('/readyz'), await send(callback())];

      expect(whileFull.map((sent) => [sent.status, json(sent).code, json(sent).storeCode])).toEqual([
        [503, 'StoreUnavailable', undefined],
        [503, 'StoreUnavailable', 'SQLITE_FULL'],
      ]);
      expect(logOf(refused)).toMatchObject([{ level: 'error', status: 503, code: 'StoreUnavailable', storeCode: 'SQLITE_FULL' }]);
      expect([ready.status, accepted.status]).toEqual([200, 200]);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'store ready' }));
    });
  });
});

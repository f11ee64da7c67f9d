import { execFile } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, prefixUpperBound } from '../../../lib/store/sqlite.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { bundleScript } from '../../support/bundle-script.js';
import { tempDir } from '../../support/temp-dir.js';
import { recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';

const dir = tempDir('oss-callback-sqlite-');
let files = 0;
const freshPath = () => join(dir, `store-${++files}`, 'uploads.db');

describeStoreContract('sqlite', async () => openSqliteStore(freshPath()), { interruptWrites: 'one write' });

const input = storedUpload(uploadRecord({ id: 'a' }));

describe('SQLite store', () => {
  it('creates its folder and uses WAL', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('keeps records across a reopen of the file', async () => {
    const path = freshPath();
    const first = openSqliteStore(path);
    await recordWithin(first, input);
    await first.close();
    const again = openSqliteStore(path);
    expect(await recordWithin(again, input)).toMatchObject({ replayed: true });
    await again.close();
  });

  it('yields one record from concurrent duplicates through two connections on one file', async () => {
    const path = freshPath();
    const stores = [openSqliteStore(path), openSqliteStore(path)];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => recordWithin(stores[i % 2]!, input)));
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(await stores[1]!.list({})).toHaveLength(1);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('yields one record per id from several processes racing on one file', async () => {
    // Prepare: a script of the real store and recordUpload; each process records the same 40 ids.
    const path = freshPath();
    await openSqliteStore(path).close();
    const worker = await bundleScript(
      'sqlite-racer',
      `import { openSqliteStore } from './lib/store/sqlite.ts';
      import { recordUpload } from './lib/store/record-upload.ts';
      import { createBudget } from './lib/deadline.ts';
      const store = openSqliteStore(process.argv[2]);
      const start = Number(process.argv[3]);
      while (Date.now() < start) await new Promise((r) => setTimeout(r, 1));
      const fresh = [];
      for (let i = 0; i < 40; i++) {
        const id = 'id-' + i;
        const record = { id, source: 'callback', bucket: 'b', object: 'k' + i, etag: null, size: null, mimeType: null, crc64: null,
          contentMd5: null, operation: null, reqId: id, clientIp: null, vpcId: null, image: null,
          vars: { 'x:pid': String(process.pid) }, uploader: null, receivedAt: new Date().toISOString() };
        const budget = createBudget(Date.now() + 4000);
        const { replayed } = await recordUpload(store, { record, fingerprint: 'f' }, budget);
        budget.dispose();
        if (!replayed) fresh.push(id);
      }
      console.log(JSON.stringify(fresh));`,
    );
    const start = String(Date.now() + 700);
    // Act
    const runs = await Promise.all(
      [1, 2, 3].map(() => promisify(execFile)(process.execPath, [worker, path, start], {})),
    );
    // Assess: every id written by exactly one process, and stored once.
    const written = runs.flatMap((run) => JSON.parse(run.stdout) as string[]);
    expect(written.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `id-${i}`).sort());
    const store = openSqliteStore(path);
    expect(await store.list({})).toHaveLength(40);
    await store.close();
  });

  it('answers StoreUnavailable, storing nothing, while another connection holds the file locked', async () => {
    // Prepare
    const path = freshPath();
    const store = openSqliteStore(path);
    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    // Act
    const started = Date.now();
    const attempt = recordWithin(store, input, 700);
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) });
    expect(Date.now() - started).toBeLessThan(1_400);
    locker.exec('ROLLBACK');
    locker.close();
    expect(await store.get('a')).toBeUndefined();
    expect(await recordWithin(store, input)).toMatchObject({ replayed: false });
    await store.close();
  });

  it('refuses to open a file that is not a database, naming the problem', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    await store.close();
    // Another program overwrote the file while this one was closed; a reopened connection hits it.
    writeFileSync(path, 'not a database at all, just text that is long enough to have a header'.repeat(20));
    expect(() => openSqliteStore(path)).toThrow(/not a database/);
  });

  it('answers StoreUnavailable when the store has been closed under it', async () => {
    const store = openSqliteStore(freshPath());
    await store.close();
    await expect(recordWithin(store, input, 1_000)).rejects.toMatchObject({ code: 'StoreUnavailable' });
  });

  it('bounds a key prefix by the next code point', () => {
    expect(prefixUpperBound('users/42/')).toBe('users/420');
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined();
    expect(prefixUpperBound('x\uD7FF')).toBe('x\uE000');
    expect(prefixUpperBound('😀')).toBe('😁');
  });

  it('lists keys beyond the Basic Multilingual Plane under their prefix', async () => {
    const store = openSqliteStore(freshPath());
    for (const [id, object] of [['1', 'a/😀'], ['2', 'a/\u{10FFFF}x'], ['3', 'b'], ['4', 'a\u{10FFFF}']] as const) {
      await recordWithin(store, storedUpload(uploadRecord({ id, object })));
    }
    const listed = await store.list({ bucket: 'photos', prefix: 'a/' });
    expect(listed.map((record) => record.id).sort()).toEqual(['1', '2']);
    expect((await store.get('4'))?.record.object).toBe('a\u{10FFFF}');
    await store.close();
  });
});

describe('SQLite store opening a version 1 file (claim, then complete)', () => {
  it('keeps its records as callbacks, its ticket claims as bindings, and drops unfinished claims', async () => {
    // Prepare: the layout the claim-based receiver wrote.
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = new Database(path);
    old.exec(`
      CREATE TABLE uploads (id TEXT PRIMARY KEY, status TEXT NOT NULL, fingerprint TEXT NOT NULL, claim_token TEXT, claim_expires_at INTEGER,
        record TEXT, bucket TEXT, object TEXT, uploader TEXT, received_at TEXT) STRICT;
      CREATE TABLE upload_vars (name TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (name, value, id)) STRICT, WITHOUT ROWID;`);
    const { source: _, ...v1Record } = uploadRecord({ id: 'R1' });
    old.prepare("INSERT INTO uploads VALUES ('R1', 'COMPLETE', 'f1', NULL, NULL, ?, 'photos', 'users/42/cat.jpg', 'alice', ?)").run(JSON.stringify(v1Record), v1Record.receivedAt);
    old.prepare("INSERT INTO uploads VALUES ('R2', 'INPROGRESS', 'f2', 'tok', 1, NULL, NULL, NULL, NULL, NULL)").run();
    old.prepare("INSERT INTO uploads VALUES ('ticket:j1', 'INPROGRESS', 'bound-object', 'tok', 4102444800000, NULL, NULL, NULL, NULL, NULL)").run();
    old.prepare("INSERT INTO upload_vars VALUES ('x:uid', '42', 'R1')").run();
    old.close();
    // Act
    const store = openSqliteStore(path);
    // Assess
    expect(await store.get('R1')).toEqual({ record: uploadRecord({ id: 'R1' }), fingerprint: 'f1' });
    expect(await store.get('R2')).toBeUndefined();
    expect((await store.list({ variable: { name: 'x:uid', value: '42' } })).map((record) => record.id)).toEqual(['R1']);
    expect(await store.bind({ key: 'ticket:j1', value: 'other', expiresAt: 0 })).toBe('bound-object');
    await store.close();
  });
});

describe('SQLite store checkpoints', () => {
  it('copies the write-ahead log into the file from a worker thread, not the connection that writes', async () => {
    const path = freshPath();
    const store = openSqliteStore(path);
    for (let i = 0; i < 100; i++) await store.create(storedUpload(uploadRecord({ id: `c${i}`, object: `o/${i}`, vars: { 'x:i': String(i) } })));
    const before = statSync(path).size;
    // The worker checkpoints every 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    expect(statSync(path).size).toBeGreaterThan(before);
    expect((await store.list({ variable: { name: 'x:i', value: '99' } })).map((record) => record.id)).toEqual(['c99']);
    await store.close();
  });
});

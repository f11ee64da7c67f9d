import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, prefixUpperBound, type SqliteStore } from '../../lib/store/sqlite.js';
import { openConnection, runtimeDriver } from '../../lib/store/sqlite-driver.js';
import type { UploadStore } from '../../lib/store/port.js';
import { describeStoreContract } from './store.contract.js';
import { canMount, mountSmallFilesystem } from '../support/small-filesystem.js';
import { tempDir } from '../support/temp-dir.js';
import { recordWithin, storedUpload, uploadRecord } from '../support/upload-records.js';

export interface SqliteContractOptions {
  /** A script of test/support/sqlite-racer.ts this runtime runs (bundled by the caller). */
  racerScript: () => Promise<string>;
}

const MB = 1024 * 1024;

/** The arguments that run `script` on this runtime: Deno needs `run` and its permissions. */
function scriptArgs(script: string): string[] {
  return process.versions.deno === undefined ? [script] : ['run', '--allow-all', script];
}

/** The longest the event loop went without turning while `work` ran. */
async function longestStall<T>(work: Promise<T>): Promise<{ result: PromiseSettledResult<T>; stallMs: number }> {
  let last = Date.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 5);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { result: result as PromiseSettledResult<T>, stallMs: Math.max(stallMs, Date.now() - last) };
}

/**
 * The SQLite store on the driver this runtime gives it (better-sqlite3 under vitest on Node 20;
 * node:sqlite on Node 22+ and Deno, bun:sqlite on Bun through test/e2e/sqlite-runtimes.test.ts):
 * the store contract, plus what only a file has: WAL, several connections and processes on one
 * file, a foreign lock, older layouts, checkpoints off the event loop and a bounded log.
 */
export function describeSqliteStoreContract(options: SqliteContractOptions): void {
  const driver = runtimeDriver();
  const dir = tempDir('oss-callback-sqlite-');
  let files = 0;
  const freshPath = () => join(dir, `store-${++files}`, 'uploads.db');
  const input = storedUpload(uploadRecord({ id: 'a' }));

  describeStoreContract(`sqlite (${driver})`, async () => openSqliteStore(freshPath()), { interruptWrites: 'one write' });

  describe(`SQLite store (${driver})`, () => {
    it('runs on the driver this runtime has', async () => {
      const store = openSqliteStore(freshPath()) as SqliteStore;
      expect(store.driver).toBe(driver);
      await store.close();
    });

    it('creates its folder and uses WAL', async () => {
      const path = freshPath();
      await openSqliteStore(path).close();
      const db = openConnection(path);
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
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

    it('writes the callbacks of one event-loop turn in one transaction: a row SQLite refuses undoes the whole turn, not the next', async () => {
      const store = openSqliteStore(freshPath());
      const upload = (id: string, source = 'callback') => storedUpload(uploadRecord({ id, object: `turn/${id}`, source: source as 'callback' }));
      // Prepare: in one turn, nine good writes around one the table's CHECK refuses.
      const turn = ['t1', 't2', 't3', 't4', 'bad', 't5', 't6', 't7', 't8', 't9'].map((id) => store.create(id === 'bad' ? upload(id, 'guess') : upload(id)));
      // Act
      const outcomes = await Promise.allSettled(turn);
      const next = await store.create(upload('t10'));
      // Assess: all ten failed together with SQLite's constraint error, none stored; the next turn stands.
      expect(outcomes.map((outcome) => outcome.status)).toEqual(Array.from({ length: 10 }, () => 'rejected'));
      expect(outcomes[0]).toMatchObject({ reason: { code: expect.stringMatching(/^SQLITE_CONSTRAINT/) } });
      expect(next).toEqual({ created: true });
      expect((await store.list({})).map((record) => record.id)).toEqual(['t10']);
      await store.close();
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
      // Prepare: three processes of this runtime, each recording the same 40 ids at one moment.
      const path = freshPath();
      await openSqliteStore(path).close();
      const script = await options.racerScript();
      const start = String(Date.now() + 1_500);
      // Act
      const runs = await Promise.all([1, 2, 3].map(() => promisify(execFile)(process.execPath, [...scriptArgs(script), path, start])));
      // Assess: every id written by exactly one process, and stored once.
      const written = runs.flatMap((run) => JSON.parse(run.stdout) as string[]);
      expect(written.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `id-${i}`).sort());
      const store = openSqliteStore(path);
      expect(await store.list({})).toHaveLength(40);
      await store.close();
    }, 60_000);

    it('answers StoreUnavailable, storing nothing and never holding the event loop, while another connection holds the file locked', async () => {
      // Prepare
      const path = freshPath();
      const store = openSqliteStore(path);
      const locker = openConnection(path);
      locker.exec('BEGIN EXCLUSIVE');
      // Act
      const budgetMs = 1_000;
      const { result, stallMs } = await longestStall(recordWithin(store, input, budgetMs));
      // Assess: refused within the budget, retried asynchronously (a synchronous wait for the lock
      // would hold the loop for the whole budget, or the 5 s the store waits when it opens).
      expect(result).toMatchObject({ status: 'rejected', reason: { code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) } });
      expect(stallMs / budgetMs).toBeLessThan(0.5);
      expect(await store.get('a')).toBeUndefined();
      locker.exec('ROLLBACK');
      locker.close();
      // The redelivery records it (or finds the write the refused attempt had queued, landed since).
      expect((await recordWithin(store, input)).record).toEqual(input.record);
      expect(await store.get('a')).toEqual(input);
      await store.close();
    });

    it('waits out a lock held for a moment: the write lands once the other connection lets go, inside the deadline', async () => {
      // Prepare: another connection holds the file for 400 ms, as a backup's step would (longer than
      // the receiver's own 4 attempts would wait).
      const path = freshPath();
      const store = openSqliteStore(path);
      const locker = openConnection(path);
      locker.exec('BEGIN EXCLUSIVE');
      const released = new Promise<number>((resolve) =>
        setTimeout(() => {
          locker.exec('ROLLBACK');
          locker.close();
          resolve(Date.now());
        }, 400),
      );
      // Act
      const budgetMs = 2_000;
      const { result, stallMs } = await longestStall(recordWithin(store, input, budgetMs));
      const done = Date.now();
      // Assess: recorded, not refused, soon after the lock went (the waits are at most 200 ms), and
      // the loop kept turning while it waited.
      expect(result).toMatchObject({ status: 'fulfilled', value: { record: input.record } });
      expect(done - (await released)).toBeLessThan(budgetMs / 4);
      expect(stallMs / budgetMs).toBeLessThan(0.25);
      expect(await store.get('a')).toEqual(input);
      await store.close();
    });

    it('refuses to open a file that is not a database, naming the problem', async () => {
      const path = freshPath();
      await openSqliteStore(path).close();
      // Another program overwrote the file while this one was closed; a reopened connection hits it.
      writeFileSync(path, 'not a database at all, just text that is long enough to have a header'.repeat(20));
      expect(() => openSqliteStore(path)).toThrow(expect.objectContaining({ code: 'SQLITE_NOTADB', message: expect.stringMatching(/not a database/) }));
    });

    it('notices its file deleted: every write refused with SQLITE_READONLY_DBMOVED, none answered as stored', async () => {
      // Prepare: a store that has written, and checks out writable.
      const path = freshPath();
      const store = openSqliteStore(path);
      await recordWithin(store, input);
      await store.checkWritable?.();
      // Act: the file goes (a careless clean-up), its log and shared memory stay.
      rmSync(path);
      // Assess: SQLite alone would go on committing into the unlinked file.
      const moved = { code: 'SQLITE_READONLY_DBMOVED', message: expect.stringMatching(/was deleted/) };
      await expect(recordWithin(store, storedUpload(uploadRecord({ id: 'after' })), 1_000)).rejects.toMatchObject({ code: 'StoreUnavailable', cause: moved });
      await expect(store.bind({ key: 'ticket:after', value: 'v', expiresAt: 0 })).rejects.toMatchObject(moved);
      await expect(store.checkWritable?.()).rejects.toMatchObject(moved);
      // Nor does anything make a new, empty database there (the checkpoint worker opens only the file it was given).
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(existsSync(path)).toBe(false);
      await store.close();
      expect(existsSync(path)).toBe(false);
    });

    it('notices its file replaced by a copy: writes refused, and the copy never gets them', async () => {
      const path = freshPath();
      const store = openSqliteStore(path);
      await recordWithin(store, input);
      // A restore from a copy, moved into place as backup tools do.
      copyFileSync(path, `${path}.restored`);
      renameSync(`${path}.restored`, path);
      await expect(recordWithin(store, storedUpload(uploadRecord({ id: 'after' })), 1_000)).rejects.toMatchObject({
        code: 'StoreUnavailable',
        cause: { code: 'SQLITE_READONLY_DBMOVED', message: expect.stringMatching(/was replaced/) },
      });
      await expect(store.checkWritable?.()).rejects.toMatchObject({ code: 'SQLITE_READONLY_DBMOVED' });
      await store.close();
      const reopened = openSqliteStore(path);
      expect(await reopened.get('after')).toBeUndefined();
      await reopened.checkWritable?.();
      await reopened.close();
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

  describe(`SQLite store opening a version 1 file (claim, then complete) (${driver})`, () => {
    it('keeps its records as callbacks, its ticket claims as bindings, and drops unfinished claims', async () => {
      // Prepare: the layout the claim-based receiver wrote.
      const path = freshPath();
      mkdirSync(dirname(path), { recursive: true });
      const old = openConnection(path);
      old.exec(`
        CREATE TABLE uploads (id TEXT PRIMARY KEY, status TEXT NOT NULL, fingerprint TEXT NOT NULL, claim_token TEXT, claim_expires_at INTEGER,
          record TEXT, bucket TEXT, object TEXT, uploader TEXT, received_at TEXT) STRICT;
        CREATE TABLE upload_vars (name TEXT NOT NULL, value TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (name, value, id)) STRICT, WITHOUT ROWID;`);
      const { source: _, ...v1Record } = uploadRecord({ id: 'R1' });
      old.prepare("INSERT INTO uploads VALUES ('R1', 'COMPLETE', 'f1', NULL, NULL, ?, 'photos', 'users/42/cat.jpg', 'alice', ?)").run(JSON.stringify(v1Record), v1Record.receivedAt);
      old.prepare("INSERT INTO uploads VALUES ('R2', 'INPROGRESS', 'f2', 'tok', 1, NULL, NULL, NULL, NULL, NULL)").run();
      old.prepare("INSERT INTO uploads VALUES ('ticket:j1', 'INPROGRESS', 'bound-object', 'tok', 4102444800000, NULL, NULL, NULL, NULL, NULL)").run();
      old.prepare("INSERT INTO upload_vars VALUES ('x:uid', '42', 'R1')").run();
      // A callback without ETag, filed under its reqId: it ends in the version 3 namespace.
      const { source: __, ...v1Unkeyed } = uploadRecord({ id: 'R3', etag: null, object: 'users/42/no-etag.jpg' });
      old.prepare("INSERT INTO uploads VALUES ('R3', 'COMPLETE', 'f3', NULL, NULL, ?, 'photos', 'users/42/no-etag.jpg', 'alice', ?)").run(JSON.stringify(v1Unkeyed), v1Unkeyed.receivedAt);
      old.prepare("INSERT INTO upload_vars VALUES ('x:uid', '42', 'R3')").run();
      old.close();
      // Act
      const store = openSqliteStore(path);
      // Assess
      expect(await store.get('R1')).toEqual({ record: uploadRecord({ id: 'R1' }), fingerprint: 'f1' });
      expect(await store.get('R2')).toBeUndefined();
      expect(await store.get('R3')).toBeUndefined();
      expect(await store.get('req:R3')).toEqual({ record: uploadRecord({ id: 'req:R3', reqId: 'R3', etag: null, object: 'users/42/no-etag.jpg' }), fingerprint: 'f3' });
      expect((await store.list({ variable: { name: 'x:uid', value: '42' } })).map((record) => record.id).sort()).toEqual(['R1', 'req:R3']);
      expect(await store.bind({ key: 'ticket:j1', value: 'other', expiresAt: 0 })).toBe('bound-object');
      await store.close();
    });
  });

  // Real refusals from the kernel, not injected errors; mounting needs root, as CI has (not run otherwise).
  if (canMount()) {
    describe(`SQLite store on a read-only or full file system (${driver})`, () => {
      const MOUNT_BYTES = 4 * MB;

      it('will not open a store on a read-only mount it cannot make its shared memory on: SQLITE_CANTOPEN', async () => {
        const fs = mountSmallFilesystem(MOUNT_BYTES);
        try {
          await openSqliteStore(join(fs.dir, 'uploads.db')).close();
          fs.readOnly();
          expect(() => openSqliteStore(join(fs.dir, 'uploads.db'))).toThrow(expect.objectContaining({ code: 'SQLITE_CANTOPEN' }));
        } finally {
          fs.unmount();
        }
      });

      it('opens a store left mid-write on a read-only mount, reads it, and refuses every write with SQLITE_READONLY', async () => {
        // Prepare: the file, its log and its shared memory as a process that died mid-write left them.
        const fs = mountSmallFilesystem(MOUNT_BYTES);
        const live = openSqliteStore(join(fs.dir, 'live', 'uploads.db'));
        let store: UploadStore | undefined;
        try {
          await recordWithin(live, input);
          mkdirSync(join(fs.dir, 'left'));
          for (const suffix of ['', '-wal', '-shm']) copyFileSync(join(fs.dir, 'live', `uploads.db${suffix}`), join(fs.dir, 'left', `uploads.db${suffix}`));
          await live.close();
          fs.readOnly();
          // Act
          store = openSqliteStore(join(fs.dir, 'left', 'uploads.db'));
          // Assess
          expect(await store.get('a')).toEqual(input);
          await expect(store.checkWritable?.()).rejects.toMatchObject({ code: expect.stringMatching(/^SQLITE_READONLY/) });
          await expect(recordWithin(store, storedUpload(uploadRecord({ id: 'b' })), 1_000)).rejects.toMatchObject({
            code: 'StoreUnavailable',
            cause: { code: expect.stringMatching(/^SQLITE_READONLY/) },
          });
        } finally {
          await live.close();
          await store?.close();
          fs.unmount();
        }
      });

      it('refuses writes with SQLITE_FULL on a full disk, and writes again once there is room', async () => {
        const fs = mountSmallFilesystem(MOUNT_BYTES);
        const store = openSqliteStore(join(fs.dir, 'store', 'uploads.db'));
        try {
          await recordWithin(store, input);
          const { bavail, bsize } = statfsSync(fs.dir);
          writeFileSync(join(fs.dir, 'filler'), Buffer.alloc(bavail * bsize));

          const full = { code: expect.stringMatching(/^SQLITE_FULL/) };
          await expect(store.checkWritable?.()).rejects.toMatchObject(full);
          await expect(recordWithin(store, storedUpload(uploadRecord({ id: 'b' })), 1_000)).rejects.toMatchObject({ code: 'StoreUnavailable', cause: full });
          rmSync(join(fs.dir, 'filler'));
          await store.checkWritable?.();
          expect(await recordWithin(store, storedUpload(uploadRecord({ id: 'b' })))).toMatchObject({ replayed: false });
          expect(await store.get('a')).toEqual(input);
        } finally {
          await store.close();
          fs.unmount();
        }
      });
    });
  }

  describe(`SQLite store opening a version 2 file (callbacks without ETag under their bare reqId or fingerprint) (${driver})`, () => {
    /**
     * test/vectors/sqlite-v2.db was written by the version 2 store (main at d71f0f5) from real signed
     * callbacks through the receiver: one with an ETag, one without and with a reqId, one with
     * neither, one whose ETag is two quotes; a listing's record replaced by a callback without ETag
     * whose reqId was that record's id (the takeover of issue 15); another listing's record; a
     * ticket binding.
     */
    const VERSION_2_FILE = join(process.cwd(), 'test', 'vectors', 'sqlite-v2.db');
    const WITH_ETAG = '28da0e30c93c3037c4b1d94f2afe339bbba770ead7525308981d50a0d5cb9ef9';
    const BARE_FINGERPRINT = '4807e28b5221db60a426dc57e4cc049448c867aeb55e41da1c6953dd4be0add9';
    const TAKEN_OVER = '80b6ca9f1cad5a6e1b16805d3114162fb379e2ccad9b5d224bf6c4ff3333c23a';
    const LISTED = 'b75832b61f0bc5525e42a969a497b5aff593eb8e1fc5b1002ce2bbe1962bdcea';
    const copyOfVersion2 = () => {
      const path = freshPath();
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(VERSION_2_FILE, path);
      return path;
    };
    const rows = (path: string) => {
      const db = openConnection(path);
      const found = {
        version: db.prepare<{ user_version: number }>('PRAGMA user_version').get()?.user_version,
        records: db.prepare<{ id: string; fingerprint: string; record: string }>('SELECT id, fingerprint, record FROM upload_records ORDER BY id').all(),
        vars: db.prepare<{ name: string; value: string; id: string }>('SELECT name, value, id FROM upload_vars ORDER BY value').all(),
      };
      db.close();
      return found;
    };

    it('moves each callback without an ETag to req:<reqId> or sig:<fingerprint>, variables with it, in one go, and leaves the rest as it was', async () => {
      // Prepare
      const path = copyOfVersion2();
      const before = rows(path);
      expect(before.version).toBe(2);
      // Act
      const store = openSqliteStore(path);
      await store.close();
      // Assess: the ids, the records' own ids, the variables' rows.
      const after = rows(path);
      expect(after.version).toBe(3);
      const moved: Record<string, string> = {
        '5C1A00000000000000000002': 'req:5C1A00000000000000000002',
        [BARE_FINGERPRINT]: `sig:${BARE_FINGERPRINT}`,
        '5C1A00000000000000000004': 'req:5C1A00000000000000000004',
        [TAKEN_OVER]: `req:${TAKEN_OVER}`,
      };
      const expected = before.records.map((row) => {
        const id = moved[row.id] ?? row.id;
        return { id, fingerprint: row.fingerprint, record: { ...JSON.parse(row.record), id } };
      });
      const parsed = after.records.map((row) => ({ ...row, record: JSON.parse(row.record) }));
      expect(parsed.sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
      expect(after.vars).toEqual(before.vars.map((row) => ({ ...row, id: moved[row.id] ?? row.id })));
      expect(after.records.map((row) => row.id)).toEqual(expect.arrayContaining([WITH_ETAG, LISTED]));
    });

    it('frees the id a callback without ETag had taken: the owner records its upload there, the taker keeps its own', async () => {
      const store = openSqliteStore(copyOfVersion2());
      const owner = uploadRecord({ id: TAKEN_OVER, object: 'users/5/victim.jpg', etag: '0CC175B9C0F1B6A831C399E269772661', vars: {} });

      expect(await store.get(TAKEN_OVER)).toBeUndefined();
      expect(await recordWithin(store, storedUpload(owner))).toEqual({ record: owner, replayed: false });
      expect((await store.get(`req:${TAKEN_OVER}`))?.record).toMatchObject({ object: 'users/6/attacker.jpg', reqId: TAKEN_OVER });
      expect((await store.list({ variable: { name: 'x:uid', value: '6' } })).map((record) => record.id)).toEqual([`req:${TAKEN_OVER}`]);
      expect(await store.bind({ key: 'ticket:fixture', value: 'other', expiresAt: 0 })).toBe('a'.repeat(64));
      await store.close();
    });

    it('opens the migrated file again without moving anything, and refuses a file of a newer layout', async () => {
      const path = copyOfVersion2();
      await openSqliteStore(path).close();
      const migrated = rows(path);
      await openSqliteStore(path).close();
      expect(rows(path)).toEqual(migrated);

      const db = openConnection(path);
      db.exec('PRAGMA user_version = 4');
      db.close();
      expect(() => openSqliteStore(path)).toThrow(/layout version 4, newer than/);
    });
  });

  describe(`SQLite store checkpoints (${driver})`, () => {
    it('copies the write-ahead log into the file from a worker thread, not the connection that writes', async () => {
      const path = freshPath();
      const store = openSqliteStore(path);
      for (let i = 0; i < 100; i++) await store.create(storedUpload(uploadRecord({ id: `c${i}`, object: `o/${i}`, vars: { 'x:i': String(i) } })));
      const before = statSync(path).size;
      // The worker checkpoints every 250 ms, once it has started (longer on a loaded machine).
      for (let waited = 0; statSync(path).size === before && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));

      expect(statSync(path).size).toBeGreaterThan(before);
      expect((await store.list({ variable: { name: 'x:i', value: '99' } })).map((record) => record.id)).toEqual(['c99']);
      await store.close();
    });

    it('keeps the write-ahead log bounded under sustained writes, and trims it once they stop', async () => {
      // 6,000 callbacks' records, 16 in flight, each with a 300-byte variable: over 50 MB of log
      // frames. A log nothing restarts keeps them all, and keeps its size at rest.
      const path = freshPath();
      const store = openSqliteStore(path);
      const walBytes = () => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
      let largest = 0;
      const sampler = setInterval(() => (largest = Math.max(largest, walBytes())), 10);
      let next = 0;
      const note = 'n'.repeat(300);
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < 6_000; i = next++) {
            const record = uploadRecord({ id: `w${i}`, bucket: 'load', object: `users/${i % 97}/${i}.jpg`, vars: { 'x:uid': String(i % 97), 'x:note': note } });
            await recordWithin(store, storedUpload(record), 4_000);
          }
        }),
      );
      clearInterval(sampler);
      largest = Math.max(largest, walBytes());
      // At rest, within the 15 s the issue allows.
      for (let waited = 0; walBytes() >= 16 * MB && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));

      expect(largest).toBeLessThan(64 * MB);
      expect(walBytes()).toBeLessThan(16 * MB);
      expect(await store.list({ bucket: 'load', variable: { name: 'x:uid', value: '42' } })).toHaveLength(62);
      await store.close();
    }, 120_000);
  });
}

import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { abortableSleep } from '../http/retry.js';
import { TransientStoreError, checkCheckpoint, type Binding, type CountQuery, type CreateOutcome, type ListQuery, type SourceCounts, type StoreCallOptions, type StoredUpload, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { checkCountQuery, noCounts } from './count-query.js';
import { groupCommit } from './group-commit.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { asSqliteError, openConnection, SqliteError, type SqliteConnection, type SqliteDriverName, type SqliteStatement } from './sqlite-driver.js';
import { checkListQuery } from './list-query.js';
import { normalEtag, uploadId } from './upload-id.js';

/**
 * How long one statement may wait, synchronously, for another connection's write lock: not at all.
 * Every driver holds the event loop while SQLite's busy handler sleeps, and fifty callbacks each
 * sleeping a few milliseconds per retry add up to a frozen process. A write that finds the file
 * locked (another process, a backup, a `sqlite3` shell) instead waits asynchronously and tries again
 * until the call's deadline, while every other request keeps being served (see `#waitingOutLocks`).
 */
const BUSY_TIMEOUT_MS = 0;

/**
 * The waits between tries at a locked file: full jitter over 10, 20, 40 … ms, at most 200 ms, so a
 * lock held for a moment costs a moment and fifty waiting writes try a few hundred times a second
 * at most (each try fails at once). Without a deadline from the caller, a write waits 5 s.
 */
const LOCK_RETRY_BASE_MS = 10;
const LOCK_RETRY_MAX_MS = 200;
const LOCK_WAIT_MS = 5_000;

/** How many restarts of the log one write waits out before it fails busy like any other locked write. */
const MAX_RESTART_WAITS = 3;

/**
 * Opening is another matter: it happens once, before the store serves anything, and several
 * processes opening one new file at once (a server and the CLI, parallel reconcilers) take turns
 * setting up WAL mode and the schema. They may wait for each other that long.
 */
const OPEN_BUSY_TIMEOUT_MS = 5_000;

/**
 * One row per upload: the record as JSON plus the columns listing filters on. Custom variables get a
 * row each in `upload_vars`, in the same transaction as the record, so listing by a variable never
 * misses a record; only callbacks carry variables, and a callback's record is never replaced, so
 * the rows are only ever added. The callbacks that arrive together share one transaction
 * (group-commit.ts).
 * Ticket bindings live in `bindings`. `user_version` 3 marks this layout and id scheme; version 2
 * kept the same tables with a callback without ETag under its bare reqId or fingerprint; version 1
 * kept claims beside records.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS upload_records (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('callback', 'reconcile', 'event')),
  record TEXT NOT NULL,
  bucket TEXT NOT NULL,
  object TEXT NOT NULL,
  uploader TEXT,
  received_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS upload_records_by_time ON upload_records (received_at);
CREATE INDEX IF NOT EXISTS upload_records_by_bucket_key ON upload_records (bucket, object);
CREATE INDEX IF NOT EXISTS upload_records_by_uploader ON upload_records (uploader, received_at, id) WHERE uploader IS NOT NULL;
CREATE INDEX IF NOT EXISTS upload_records_by_source ON upload_records (source, received_at, id) WHERE source <> 'callback';
CREATE TABLE IF NOT EXISTS upload_vars (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (name, value, id)
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bindings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/** Version 1 (claim, then complete, in one `uploads` table): its records move over, claims are dropped. */
const FROM_VERSION_1 = `
INSERT OR IGNORE INTO upload_records (id, fingerprint, source, record, bucket, object, uploader, received_at)
  SELECT id, fingerprint, 'callback', json_set(record, '$.source', 'callback'), bucket, object, uploader, received_at
  FROM uploads WHERE status = 'COMPLETE' AND id NOT LIKE 'ticket:%';
INSERT OR IGNORE INTO bindings (key, value, expires_at)
  SELECT id, fingerprint, claim_expires_at FROM uploads WHERE id LIKE 'ticket:%';
DROP TABLE uploads;
`;

/**
 * Version 3 gives a callback without an ETag an id of its own namespace: `req:<reqId>`, or
 * `sig:<fingerprint>` (the SHA-256 of its signed bytes) without a reqId. Version 2 filed it under the
 * bare value, which an uploader's template could make equal to another upload's (bucket, key, ETag)
 * id. Which callbacks had no ETag is decided by `normalEtag`, as when their ids were made.
 */
const CALLBACK_ETAGS = "SELECT id, fingerprint, json_extract(record, '$.etag') AS etag FROM upload_records WHERE source = 'callback'";
const SCHEMA_VERSION = 3;

interface UploadRow {
  fingerprint: string;
  record: string;
}

/** What a writer compares before each commit: the file open now is the one at the path. */
interface FileIdentity {
  path: string;
  dev: number;
  ino: number;
}

/** `sqlite:<path>` — an embedded file, WAL mode so readers never block the writer. */
export class SqliteStore implements UploadStore {
  readonly description: string;
  readonly #db: SqliteConnection;
  readonly #create: (upload: StoredUpload) => Promise<CreateOutcome>;
  readonly #bind: (binding: Binding) => string;
  readonly #get: SqliteStatement<UploadRow>;
  readonly #listings = new Map<string, SqliteStatement<{ record: string }>>();
  readonly #getMany: SqliteStatement<UploadRow & { id: string }>;
  readonly #path: string;
  readonly #file: FileIdentity | undefined;
  readonly #begin: SqliteStatement<never>;
  readonly #commit: SqliteStatement<never>;
  readonly #checkpointer: Checkpointer | undefined;

  constructor(path: string) {
    this.description = `sqlite:${path}`;
    this.#path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = openConnection(path);
    this.#begin = this.#db.prepare('BEGIN IMMEDIATE');
    this.#commit = this.#db.prepare('COMMIT');
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#migrate();
      this.#db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (error) {
      this.#db.close();
      throw asSqliteError(error);
    }
    this.#file = path === ':memory:' ? undefined : fileIdentity(resolve(path));
    this.#checkpointer = this.#startCheckpointer();

    // A callback's record replaces one made from a listing or an event; nothing replaces a callback's.
    const insert = this.#db.prepare(`
      INSERT INTO upload_records (id, fingerprint, source, record, bucket, object, uploader, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, source = excluded.source, record = excluded.record,
        bucket = excluded.bucket, object = excluded.object, uploader = excluded.uploader, received_at = excluded.received_at
      WHERE excluded.source = 'callback' AND upload_records.source <> 'callback'`);
    const select = this.#db.prepare<UploadRow>('SELECT fingerprint, record FROM upload_records WHERE id = ?');
    const addVar = this.#db.prepare('INSERT OR IGNORE INTO upload_vars (name, value, id) VALUES (?, ?, ?)');
    const write = (upload: StoredUpload): CreateOutcome => {
      const { record } = upload;
      const { changes } = insert.run(record.id, upload.fingerprint, record.source, JSON.stringify(record), record.bucket, record.object, record.uploader, record.receivedAt);
      // Refused: what is there is the answer, read in the same transaction.
      if (Number(changes) === 0) return { created: false, existing: toUpload(select.get(record.id) as UploadRow) };
      for (const name in record.vars) addVar.run(name, record.vars[name] as string, record.id);
      return { created: true };
    };
    this.#create = groupCommit((uploads: StoredUpload[]) => this.#write(() => uploads.map(write)));
    this.#get = select;
    this.#getMany = this.#db.prepare('SELECT id, fingerprint, record FROM upload_records WHERE id IN (SELECT value FROM json_each(?))');

    const claimKey = this.#db.prepare('INSERT INTO bindings (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING');
    const bound = this.#db.prepare<{ value: string }>('SELECT value FROM bindings WHERE key = ?');
    // A binding, once made, is never changed, so the value read back is the one that won.
    this.#bind = ({ key, value, expiresAt }) => (Number(claimKey.run(key, value, expiresAt).changes) === 1 ? value : (bound.get(key) as { value: string }).value);
  }

  /** The driver this store's connection (and its checkpoint worker) runs on. */
  get driver(): SqliteDriverName {
    return this.#db.driver;
  }

  create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome> {
    return this.#waitingOutLocks(() => this.#create(upload), options);
  }

  async get(id: string): Promise<StoredUpload | undefined> {
    return this.#run(() => {
      const row = this.#get.get(id);
      return row && toUpload(row);
    });
  }

  /** One `IN (…)` query for every id asked about, the ids bound as one JSON array (one statement for any number). */
  async getMany(ids: readonly string[]): Promise<Map<string, StoredUpload>> {
    const found = new Map<string, StoredUpload>();
    if (ids.length === 0) return found;
    return this.#run(() => {
      for (const row of this.#getMany.all(JSON.stringify(ids))) found.set(row.id, toUpload(row));
      return found;
    });
  }

  async bind(binding: Binding, options?: StoreCallOptions): Promise<string> {
    return this.#waitingOutLocks(async () => this.#write(() => this.#bind(binding)), options);
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    checkCheckpoint(name);
    return this.#run(() => {
      // A store no reconcile has checkpointed in has no such table; reading must not create it.
      const table = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get();
      if (!table) return undefined;
      return this.#db.prepare<{ value: string }>('SELECT value FROM checkpoints WHERE name = ?').get(name)?.value;
    });
  }

  /** Checkpoints get a table of their own on first use: nothing else reads it, so the schema version stays. */
  async putCheckpoint(name: string, value: string, options?: StoreCallOptions): Promise<void> {
    checkCheckpoint(name, value);
    await this.#waitingOutLocks(async () =>
      this.#write(() => {
        this.#db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID');
        this.#db.prepare('INSERT INTO checkpoints (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
      }),
      options,
    );
  }

  async list(query: ListQuery): Promise<UploadRecord[]> {
    checkListQuery(query);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.bucket !== undefined) where.push('bucket = ?'), params.push(query.bucket);
    if (query.prefix) {
      // A range on the (bucket, object) index; SQLite compares text as UTF-8 bytes, in code point order.
      where.push('object >= ?'), params.push(query.prefix);
      const upper = prefixUpperBound(query.prefix);
      if (upper !== undefined) where.push('object < ?'), params.push(upper);
    }
    if (query.uploader !== undefined) where.push('uploader = ?'), params.push(query.uploader);
    if (query.source !== undefined) {
      // The literal term lets SQLite use the partial index, which holds only the non-callback few.
      where.push(query.source === 'callback' ? "source = 'callback'" : "source <> 'callback' AND source = ?");
      if (query.source !== 'callback') params.push(query.source);
    }
    if (query.variable) {
      where.push('id IN (SELECT id FROM upload_vars WHERE name = ? AND value = ?)');
      params.push(query.variable.name, query.variable.value);
    }
    const filter = where.length ? ` WHERE ${where.join(' AND ')}` : '';
    if (query.limit !== undefined) params.push(query.limit);
    const sql = `SELECT record FROM upload_records${filter} ORDER BY received_at DESC, id DESC${query.limit === undefined ? '' : ' LIMIT ?'}`;
    return this.#run(() => this.#listing(sql).all(...params).map((row) => JSON.parse(row.record) as UploadRecord));
  }

  /** A listing's statement, prepared once for each combination of filters (a few dozen at most). */
  #listing(sql: string): SqliteStatement<{ record: string }> {
    let statement = this.#listings.get(sql);
    if (!statement) this.#listings.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  /**
   * One statement per period. Unfiltered, it reads indexes only: the period's records from the time
   * index, those from an event or a listing from the partial source index (callbacks are the rest).
   * A bucket (and prefix) is checked on the rows of the period, found through the time index: the
   * bucket's own index would read every row of the bucket, whatever its age (`+bucket` keeps the
   * planner off it). The event loop gets a turn between periods, so a long window never holds it.
   */
  async count(query: CountQuery): Promise<SourceCounts[]> {
    checkCountQuery(query);
    const counts: SourceCounts[] = [];
    const countPeriod = query.bucket === undefined ? this.#countPeriod() : this.#countPeriodOf(query.bucket, query.prefix);
    for (let i = 1; i < query.bounds.length; i++) {
      if (i > 1) await new Promise((resolve) => setImmediate(resolve));
      counts.push(this.#run(() => countPeriod(query.bounds[i - 1] as string, query.bounds[i] as string)));
    }
    return counts;
  }

  // Positional parameters only, and rows typed where read: the statements run on any SQLite driver.
  #countPeriod(): (from: string, to: string) => SourceCounts {
    const inPeriod = 'received_at >= ? AND received_at < ?';
    const statement = this.#db.prepare(
      `SELECT (SELECT count(*) FROM upload_records WHERE ${inPeriod}) AS total,
        (SELECT count(*) FROM upload_records WHERE source <> 'callback' AND source = 'event' AND ${inPeriod}) AS event,
        (SELECT count(*) FROM upload_records WHERE source <> 'callback' AND source = 'reconcile' AND ${inPeriod}) AS reconcile`,
    );
    return (from, to) => {
      const { total, event, reconcile } = statement.get(from, to, from, to, from, to) as { total: number; event: number; reconcile: number };
      return { callback: total - event - reconcile, event, reconcile };
    };
  }

  #countPeriodOf(bucket: string, prefix: string | undefined): (from: string, to: string) => SourceCounts {
    const where = ['+bucket = ?'];
    const params: string[] = [bucket];
    if (prefix) {
      where.push('object >= ?'), params.push(prefix);
      const upper = prefixUpperBound(prefix);
      if (upper !== undefined) where.push('object < ?'), params.push(upper);
    }
    const statement = this.#db.prepare(`SELECT source, count(*) AS n FROM upload_records WHERE ${where.join(' AND ')} AND received_at >= ? AND received_at < ? GROUP BY source`);
    return (from, to) => {
      const counts = noCounts();
      for (const { source, n } of statement.all(...params, from, to) as { source: keyof SourceCounts; n: number }[]) counts[source] = n;
      return counts;
    };
  }

  /** The schema is created when the store opens; init is there for the CLI and the contract. */
  async init(): Promise<void> {
    this.#run(() => this.#migrate());
  }

  /**
   * One real write that leaves nothing behind (the schema version, rewritten as it is): it fails,
   * with SQLite's own code, on a read-only or full file system, a locked or a moved file.
   */
  async checkWritable(options?: StoreCallOptions): Promise<void> {
    await this.#waitingOutLocks(async () => this.#write(() => this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`)), options);
  }

  async close(): Promise<void> {
    await this.#checkpointer?.stop();
    // The last connection to close checkpoints what is left and removes the log.
    if (this.#db.isOpen) this.#db.close();
  }

  /**
   * A write made again until it gets the lock or the deadline comes. While the checkpoint worker
   * restarts the log (a few tens of milliseconds now and then, see sqlite-checkpointer.ts) writes
   * wait for it to say it is done, and the ones that waited share one commit; any other lock
   * (another process) is tried again after a jittered wait. When the next wait would end past the
   * deadline, SQLite's own error (`SQLITE_BUSY`) is thrown, in time for a 503 before it: no longer a
   * TransientStoreError, so the receiver does not start the waiting over.
   */
  async #waitingOutLocks<T>(write: () => Promise<T>, options: StoreCallOptions | undefined): Promise<T> {
    const deadline = options?.deadline ?? Date.now() + LOCK_WAIT_MS;
    let restartWaits = 0;
    for (let locked = 0; ; ) {
      if (this.#checkpointer?.holdsWrites() && restartWaits++ < MAX_RESTART_WAITS) await this.#checkpointer.restarted();
      try {
        return await write();
      } catch (error) {
        if (!(error instanceof TransientStoreError) || options?.signal?.aborted) throw error;
        if (this.#checkpointer?.holdsWrites() && restartWaits < MAX_RESTART_WAITS) continue;
        const wait = Math.random() * Math.min(LOCK_RETRY_BASE_MS * 2 ** locked++, LOCK_RETRY_MAX_MS);
        if (Date.now() + wait >= deadline) throw error.cause ?? error;
        await abortableSleep(wait, options?.signal);
      }
    }
  }

  /** Started with the store, so it checkpoints from the first write of a burst on. */
  #startCheckpointer(): Checkpointer | undefined {
    if (!this.#file) return undefined;
    this.#db.exec('PRAGMA wal_autocheckpoint = 0');
    return startCheckpointer(this.#path, this.#file, this.#db.driver, () => {
      if (this.#db.isOpen) this.#db.exec('PRAGMA wal_autocheckpoint = 1000');
    });
  }

  #migrate(): void {
    const { user_version: version } = this.#db.prepare<{ user_version: number }>('PRAGMA user_version').get() as { user_version: number };
    if (version === SCHEMA_VERSION) return;
    if (version > SCHEMA_VERSION) {
      throw new SqliteError('SQLITE_ERROR', `${this.description} has layout version ${version}, newer than this version of oss-upload-callback reads (${SCHEMA_VERSION})`);
    }
    this.#transaction(() => {
      this.#db.exec(SCHEMA);
      const hasVersion1 = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'uploads'").get();
      if (hasVersion1) this.#db.exec(FROM_VERSION_1);
      this.#renameUnkeyedCallbacks();
      this.#db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    });
  }

  /** Version 2 → 3: a callback without ETag moves from its bare reqId or fingerprint to `req:` or `sig:`, vars and all. */
  #renameUnkeyedCallbacks(): void {
    const unkeyed = this.#db
      .prepare<{ id: string; fingerprint: string; etag: string | null }>(CALLBACK_ETAGS)
      .all()
      .filter((row) => normalEtag(row.etag) === null);
    if (unkeyed.length === 0) return;
    const read = this.#db.prepare<{ record: string }>('SELECT record FROM upload_records WHERE id = ?');
    const moveRecord = this.#db.prepare('UPDATE upload_records SET id = ?, record = ? WHERE id = ?');
    const moveVars = this.#db.prepare('UPDATE upload_vars SET id = ? WHERE id = ?');
    for (const row of unkeyed) {
      const record = JSON.parse((read.get(row.id) as { record: string }).record) as UploadRecord;
      const id = uploadId(record, record.reqId !== null ? { reqId: record.reqId } : { signed: row.fingerprint });
      if (id === row.id) continue;
      moveRecord.run(id, JSON.stringify({ ...record, id }), row.id);
      moveVars.run(id, row.id);
    }
  }

  /** `work` in one transaction that takes the write lock first, so a locked file fails it at once, before any row. */
  #transaction<T>(work: () => T): T {
    this.#begin.run();
    try {
      const result = work();
      this.#commit.run();
      return result;
    } catch (error) {
      // SQLite may have rolled back already (a full disk, an I/O error); then there is nothing to undo.
      try {
        this.#db.exec('ROLLBACK');
      } catch {}
      throw error;
    }
  }

  /**
   * A write transaction, refused before it starts when the file at the path is no longer the one
   * open here (deleted, or replaced by a copy or a restore): SQLite would go on writing into the
   * unlinked file, every commit a 200 for a record no later reader finds.
   */
  #write<T>(work: () => T): T {
    return this.#run(() => {
      this.#checkFile();
      return this.#transaction(work);
    });
  }

  #checkFile(): void {
    if (!this.#file) return;
    const now = fileIdentity(this.#file.path);
    if (now?.ino !== this.#file.ino || now.dev !== this.#file.dev) {
      // SQLite's own name for the condition, which SQLite itself reports only for a rollback journal.
      throw new SqliteError(
        'SQLITE_READONLY_DBMOVED',
        `the database file ${this.#path} was ${now ? 'replaced' : 'deleted'} while this store had it open; nothing more is written to it (restart to open the file now there)`,
      );
    }
  }

  /**
   * Calls are synchronous, over before a deadline signal could fire (the caller checks the budget
   * first). SQLite's errors come out as `SqliteError`, with SQLite's code whatever the driver; a
   * locked database is marked as worth a retry.
   */
  #run<T>(call: () => T): T {
    if (!this.#db.isOpen) throw new SqliteError('SQLITE_MISUSE', `${this.description} is closed`);
    try {
      return call();
    } catch (error) {
      const failure = asSqliteError(error);
      const code = failure instanceof SqliteError ? failure.code : '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        throw new TransientStoreError(`${this.description} is locked by another connection`, { cause: failure });
      }
      throw failure;
    }
  }
}

function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const { dev, ino } = statSync(path);
    return { path, dev, ino };
  } catch {
    return undefined;
  }
}

function toUpload(row: UploadRow): StoredUpload {
  return { fingerprint: row.fingerprint, record: JSON.parse(row.record) as UploadRecord };
}

/**
 * The least string above every string that starts with `prefix`: its last code point plus one
 * (dropping trailing U+10FFFF, which has no successor). Undefined when there is no such string.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = [...prefix].map((char) => char.codePointAt(0) as number);
  while (points.length > 0) {
    const last = (points.pop() as number) + 1;
    if (last > 0x10ffff) continue;
    // Surrogate code points cannot appear in UTF-8 text; the next one after them is U+E000.
    points.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last);
    return String.fromCodePoint(...points);
  }
  return undefined;
}

export function openSqliteStore(path: string, options: { mustExist?: boolean } = {}): UploadStore {
  // Opening creates the file and its folders: a reader asking for a store that is not there must not.
  if (options.mustExist && path !== ':memory:' && !existsSync(path)) {
    throw new Error(`the store sqlite:${path} does not exist; the receiver creates it when it starts, or run store init`);
  }
  return new SqliteStore(path);
}

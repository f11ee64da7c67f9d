import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TransientStoreError, type Binding, type CountQuery, type CreateOutcome, type ListQuery, type SourceCounts, type StoredUpload, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { checkCountQuery, noCounts } from './count-query.js';
import { groupCommit } from './group-commit.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { checkListQuery } from './list-query.js';
import { checkCheckpoint } from './port.js';

/**
 * How long one statement may wait, synchronously, for another connection's write lock: not at all.
 * better-sqlite3 holds the event loop while SQLite's busy handler sleeps, and fifty callbacks each
 * sleeping a few milliseconds per retry add up to a frozen process. A locked file (another process,
 * a backup, a `sqlite3` shell) is instead a transient failure at once, which `callStore` retries
 * asynchronously, with backoff, within the callback's deadline; every other request keeps being served.
 */
const BUSY_TIMEOUT_MS = 0;

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
 * Ticket bindings live in `bindings`. `user_version` 2 marks this layout; version 1 kept claims
 * beside records.
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
const SCHEMA_VERSION = 2;

interface UploadRow {
  fingerprint: string;
  record: string;
}

/** `sqlite:<path>` — an embedded file, WAL mode so readers never block the writer. */
export class SqliteStore implements UploadStore {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #create: (upload: StoredUpload) => Promise<CreateOutcome>;
  readonly #bind: (binding: Binding) => string;
  readonly #get: Database.Statement<[string], UploadRow>;
  readonly #path: string;
  #checkpointer: Checkpointer | undefined;

  constructor(path: string) {
    this.description = `sqlite:${path}`;
    this.#path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path, { timeout: OPEN_BUSY_TIMEOUT_MS });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#migrate();
    this.#db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);

    // A callback's record replaces one made from a listing or an event; nothing replaces a callback's.
    const insert = this.#db.prepare(`
      INSERT INTO upload_records (id, fingerprint, source, record, bucket, object, uploader, received_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, source = excluded.source, record = excluded.record,
        bucket = excluded.bucket, object = excluded.object, uploader = excluded.uploader, received_at = excluded.received_at
      WHERE excluded.source = 'callback' AND upload_records.source <> 'callback'`);
    const select = this.#db.prepare<[string], UploadRow>('SELECT fingerprint, record FROM upload_records WHERE id = ?');
    const addVar = this.#db.prepare('INSERT OR IGNORE INTO upload_vars (name, value, id) VALUES (?, ?, ?)');
    const write = (upload: StoredUpload): CreateOutcome => {
      const { record } = upload;
      const { changes } = insert.run(record.id, upload.fingerprint, record.source, JSON.stringify(record), record.bucket, record.object, record.uploader, record.receivedAt);
      // Refused: what is there is the answer, read in the same transaction.
      if (changes === 0) return { created: false, existing: toUpload(select.get(record.id) as UploadRow) };
      for (const name in record.vars) addVar.run(name, record.vars[name], record.id);
      return { created: true };
    };
    // BEGIN IMMEDIATE: the write lock first, so a locked file fails the batch at once, before any row.
    const writeAll = this.#db.transaction((uploads: StoredUpload[]) => uploads.map(write));
    this.#create = groupCommit((uploads: StoredUpload[]) => {
      this.#checkpointer ??= this.#startCheckpointer();
      return this.#run(() => writeAll.immediate(uploads));
    });
    this.#get = select;

    const claimKey = this.#db.prepare('INSERT INTO bindings (key, value, expires_at) VALUES (@key, @value, @expiresAt) ON CONFLICT (key) DO NOTHING');
    const bound = this.#db.prepare<[string], { value: string }>('SELECT value FROM bindings WHERE key = ?');
    // A binding, once made, is never changed, so the value read back is the one that won.
    this.#bind = (binding) => (claimKey.run(binding).changes === 1 ? binding.value : (bound.get(binding.key) as { value: string }).value);
  }

  create(upload: StoredUpload): Promise<CreateOutcome> {
    return this.#create(upload);
  }

  async get(id: string): Promise<StoredUpload | undefined> {
    return this.#run(() => {
      const row = this.#get.get(id);
      return row && toUpload(row);
    });
  }

  async bind(binding: Binding): Promise<string> {
    return this.#run(() => this.#bind(binding));
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    checkCheckpoint(name);
    return this.#run(() => {
      // A store no reconcile has checkpointed in has no such table; reading must not create it.
      const table = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'").get();
      if (!table) return undefined;
      return this.#db.prepare<[string], { value: string }>('SELECT value FROM checkpoints WHERE name = ?').get(name)?.value;
    });
  }

  /** Checkpoints get a table of their own on first use: nothing else reads it, so the schema version stays. */
  async putCheckpoint(name: string, value: string): Promise<void> {
    checkCheckpoint(name, value);
    this.#run(() => {
      this.#db.exec('CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID');
      this.#db.prepare('INSERT INTO checkpoints (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
    });
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
    const limit = query.limit === undefined ? '' : ` LIMIT ${query.limit}`;
    const sql = `SELECT record FROM upload_records${filter} ORDER BY received_at DESC, id DESC${limit}`;
    return this.#run(() =>
      this.#db
        .prepare<unknown[], { record: string }>(sql)
        .all(...params)
        .map((row) => JSON.parse(row.record) as UploadRecord),
    );
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
    this.#migrate();
  }

  async close(): Promise<void> {
    await this.#checkpointer?.stop();
    // The last connection to close checkpoints what is left and removes the log.
    if (this.#db.open) this.#db.close();
  }

  /** Started with the first write: a store that only reads never needs one. */
  #startCheckpointer(): Checkpointer | undefined {
    if (this.#path === ':memory:') return undefined;
    this.#db.pragma('wal_autocheckpoint = 0');
    return startCheckpointer(this.#path, () => {
      if (this.#db.open) this.#db.pragma('wal_autocheckpoint = 1000');
    });
  }

  #migrate(): void {
    const version = this.#db.pragma('user_version', { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    this.#db.transaction(() => {
      this.#db.exec(SCHEMA);
      const hasVersion1 = this.#db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'uploads'").get();
      if (hasVersion1) this.#db.exec(FROM_VERSION_1);
      this.#db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  /**
   * Calls are synchronous, over before a deadline signal could fire (the caller checks the budget
   * first); a locked database is marked as worth a retry.
   */
  #run<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
        throw new TransientStoreError(`${this.description} is locked by another connection`, { cause: error });
      }
      throw error;
    }
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

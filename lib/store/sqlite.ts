import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EntryStatus, TransientStoreError, type ClaimEntry, type ClaimOutcome, type CompleteEntry, type ListQuery, type StoreCallOptions, type StoredEntry, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { checkListQuery } from './list-query.js';

/**
 * How long a statement waits for another connection's write lock. better-sqlite3 waits
 * synchronously, so this stays short; `recordOnce` retries a busy store within its own deadline.
 */
const BUSY_TIMEOUT_MS = 250;

/**
 * One row per id: a claim or the complete record (as JSON, plus the columns listing filters on).
 * Custom variables get a row each in `upload_vars`, written in the same transaction as the record.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('INPROGRESS', 'COMPLETE')),
  fingerprint TEXT NOT NULL,
  claim_token TEXT,
  claim_expires_at INTEGER,
  record TEXT,
  bucket TEXT,
  object TEXT,
  uploader TEXT,
  received_at TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS uploads_by_time ON uploads (received_at, id) WHERE status = 'COMPLETE';
CREATE INDEX IF NOT EXISTS uploads_by_bucket_key ON uploads (bucket, object) WHERE status = 'COMPLETE';
CREATE INDEX IF NOT EXISTS uploads_by_uploader ON uploads (uploader, received_at, id) WHERE status = 'COMPLETE';
CREATE TABLE IF NOT EXISTS upload_vars (
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (name, value, id)
) STRICT, WITHOUT ROWID;
`;

interface Row {
  id: string;
  status: string;
  fingerprint: string;
  claim_token: string | null;
  claim_expires_at: number | null;
  record: string | null;
}

/** `sqlite:<path>` — an embedded file, WAL mode so readers never block the writer. */
export class SqliteStore implements UploadStore {
  readonly description: string;
  readonly #db: Database.Database;
  readonly #claim: Database.Transaction<(claim: ClaimEntry, now: number) => ClaimOutcome>;
  readonly #complete: Database.Transaction<(entry: CompleteEntry, claimToken: string) => boolean>;
  readonly #get: Database.Statement<[string], Row>;
  readonly #release: Database.Statement<[string, string]>;

  constructor(path: string) {
    this.description = `sqlite:${path}`;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);

    const takeClaim = this.#db.prepare(`
      INSERT INTO uploads (id, status, fingerprint, claim_token, claim_expires_at) VALUES (@id, 'INPROGRESS', @fingerprint, @claimToken, @claimExpiresAt)
      ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, claim_token = excluded.claim_token, claim_expires_at = excluded.claim_expires_at
      WHERE uploads.status = 'INPROGRESS' AND uploads.claim_expires_at < @now`);
    const select = this.#db.prepare<[string], Row>('SELECT id, status, fingerprint, claim_token, claim_expires_at, record FROM uploads WHERE id = ?');
    this.#claim = this.#db.transaction((claim: ClaimEntry, now: number): ClaimOutcome => {
      const { changes } = takeClaim.run({ ...claim, now });
      if (changes === 1) return { claimed: true };
      return { claimed: false, existing: toEntry(select.get(claim.id) as Row) };
    });

    const finish = this.#db.prepare(`
      UPDATE uploads SET status = 'COMPLETE', fingerprint = @fingerprint, claim_token = NULL, claim_expires_at = NULL,
        record = @record, bucket = @bucket, object = @object, uploader = @uploader, received_at = @receivedAt
      WHERE id = @id AND status = 'INPROGRESS' AND claim_token = @claimToken`);
    const addVar = this.#db.prepare('INSERT OR IGNORE INTO upload_vars (name, value, id) VALUES (?, ?, ?)');
    this.#complete = this.#db.transaction((entry: CompleteEntry, claimToken: string): boolean => {
      const { record } = entry;
      const { changes } = finish.run({
        id: entry.id,
        fingerprint: entry.fingerprint,
        claimToken,
        record: JSON.stringify(record),
        bucket: record.bucket,
        object: record.object,
        uploader: record.uploader,
        receivedAt: record.receivedAt,
      });
      if (changes !== 1) return false;
      for (const [name, value] of Object.entries(record.vars)) addVar.run(name, value, entry.id);
      return true;
    });
    this.#get = select;
    this.#release = this.#db.prepare("DELETE FROM uploads WHERE id = ? AND status = 'INPROGRESS' AND claim_token = ?");
  }

  // BEGIN IMMEDIATE takes the write lock first, so the row read back after a refused claim is the
  // one that beat us, even when another process shares the file.
  async claim(claim: ClaimEntry, now: number, options?: StoreCallOptions): Promise<ClaimOutcome> {
    return this.#run(options, () => this.#claim.immediate(claim, now));
  }

  async complete(entry: CompleteEntry, claimToken: string, options?: StoreCallOptions): Promise<boolean> {
    return this.#run(options, () => this.#complete.immediate(entry, claimToken));
  }

  async release(id: string, claimToken: string, options?: StoreCallOptions): Promise<void> {
    this.#run(options, () => this.#release.run(id, claimToken));
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredEntry | undefined> {
    return this.#run(options, () => {
      const row = this.#get.get(id);
      return row && toEntry(row);
    });
  }

  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    const where = ["status = 'COMPLETE'"];
    const params: (string | number)[] = [];
    if (query.bucket !== undefined) where.push('bucket = ?'), params.push(query.bucket);
    if (query.prefix) {
      // A range on the (bucket, object) index; SQLite compares text as UTF-8 bytes, in code point order.
      where.push('object >= ?'), params.push(query.prefix);
      const upper = prefixUpperBound(query.prefix);
      if (upper !== undefined) where.push('object < ?'), params.push(upper);
    }
    if (query.uploader !== undefined) where.push('uploader = ?'), params.push(query.uploader);
    if (query.variable) {
      where.push('id IN (SELECT id FROM upload_vars WHERE name = ? AND value = ?)');
      params.push(query.variable.name, query.variable.value);
    }
    const limit = query.limit === undefined ? '' : ` LIMIT ${query.limit}`;
    const sql = `SELECT record FROM uploads WHERE ${where.join(' AND ')} ORDER BY received_at DESC, id DESC${limit}`;
    return this.#run(options, () =>
      this.#db
        .prepare<unknown[], { record: string }>(sql)
        .all(...params)
        .map((row) => JSON.parse(row.record) as UploadRecord),
    );
  }

  /** The schema is created when the store opens; init is there for the CLI and the contract. */
  async init(): Promise<void> {
    this.#db.exec(SCHEMA);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  /** Calls are synchronous: check the deadline first, and mark a busy database as worth a retry. */
  #run<T>(options: StoreCallOptions | undefined, call: () => T): T {
    options?.signal?.throwIfAborted();
    try {
      return call();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
        throw new TransientStoreError(`${this.description} is busy`, { cause: error });
      }
      throw error;
    }
  }
}

function toEntry(row: Row): StoredEntry {
  if (row.status === EntryStatus.COMPLETE) {
    return { id: row.id, status: EntryStatus.COMPLETE, fingerprint: row.fingerprint, record: JSON.parse(row.record as string) as UploadRecord };
  }
  return {
    id: row.id,
    status: EntryStatus.INPROGRESS,
    fingerprint: row.fingerprint,
    claimToken: row.claim_token as string,
    claimExpiresAt: row.claim_expires_at as number,
  };
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

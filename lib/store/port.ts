import type { RecordSource, UploadRecord } from './record.js';

/**
 * The storage port. Adapters only translate these verbs to their store; what the answers mean
 * (replay, conflict, which source wins) is decided once, in `record-upload.ts`.
 *
 * A new upload costs one conditional write: the finished record is created, or what is already there
 * comes back. Nothing runs between deciding to store a record and storing it, so there is no
 * in-progress state, no claim to expire and no duplicate that has to wait.
 */
export interface StoredUpload {
  record: UploadRecord;
  /**
   * SHA-256 hex of what the record was made from (a callback's signed bytes): the same upload id
   * with another fingerprint from the same source is a conflict, not a replay.
   */
  fingerprint: string;
}

export type CreateOutcome = { created: true } | { created: false; existing: StoredUpload };

/** A ticket bound to the first object recorded with it; kept until `expiresAt` for clean-up only. */
export interface Binding {
  key: string;
  value: string;
  /** Epoch ms after which no one asks for the binding again; a store's TTL may then delete it. */
  expiresAt: number;
}

export interface ListQuery {
  bucket?: string;
  /** Object key prefix; needs `bucket`. */
  prefix?: string;
  /** A custom variable to match, e.g. `{ name: 'x:uid', value: '42' }`. */
  variable?: { name: string; value: string };
  uploader?: string;
  source?: RecordSource;
  limit?: number;
}

/** Uploads counted in consecutive periods: what `stats` and the records page show. */
export interface CountQuery {
  /**
   * The periods' boundaries: at least two ISO 8601 instants as `Date.toISOString()` writes them
   * (`2026-11-24T00:00:00.000Z`), ascending. Period i holds the records received at or after
   * `bounds[i]` and before `bounds[i + 1]` (`receivedAt`).
   */
  bounds: readonly string[];
  bucket?: string;
  /** Object key prefix; needs `bucket`. */
  prefix?: string;
}

/** How many uploads each source recorded in one period (a record counts once, as the source it has now). */
export type SourceCounts = Record<RecordSource, number>;

export interface StoreCallOptions {
  /** Aborted when the receiver's deadline passes; adapters pass it to their client. */
  signal?: AbortSignal;
  /** The same deadline in epoch ms (`Date.now()`'s clock): a client's retry that would end past it is not begun. */
  deadline?: number;
}

export interface InitOptions {
  report?: (line: string) => void;
}

export interface UploadStore {
  /** A short description for logs and errors, never with credentials: `sqlite:./data/uploads.db`. */
  readonly description: string;
  /**
   * One conditional write of the finished record under `record.id`. It is stored when no upload has
   * that id, or when it comes from a callback and the upload there does not (a callback's record
   * replaces one made from a listing or an event, and nothing replaces a callback's). Otherwise the
   * store is left untouched and what is there is returned.
   */
  create(upload: StoredUpload, options?: StoreCallOptions): Promise<CreateOutcome>;
  get(id: string, options?: StoreCallOptions): Promise<StoredUpload | undefined>;
  /**
   * The uploads stored under any of `ids` (at most `GET_MANY_LIMIT`), keyed by id; ids with nothing
   * stored are absent. One request where the store can batch reads (reconcile asks about a listing
   * page this way). Optional for a store of your own: without it, `getMany()` below asks `get` once per id.
   */
  getMany?(ids: readonly string[], options?: StoreCallOptions): Promise<Map<string, StoredUpload>>;
  /**
   * The uploads recorded in each period of `query.bounds`, by source: one entry per period, in order,
   * zeros where nothing was recorded. Read from an index or an aggregation, never record by record.
   * Optional for a store of your own: without it, `countUploads()` below refuses.
   */
  count?(query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]>;
  /** Records only (never bindings), newest first. */
  list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]>;
  /**
   * One conditional write: bind `key` to `value` unless it is bound already. Returns the value the
   * key is bound to, this one or the earlier one.
   */
  bind(binding: Binding, options?: StoreCallOptions): Promise<string>;
  /**
   * A checkpoint: a small value (at most CHECKPOINT_MAX_BYTES of UTF-8) kept under `name` (see
   * CHECKPOINT_NAME), apart from records and bindings, never listed, replaced whole by each put; the
   * last put wins. Reconcile keeps where a run stopped in one, so the next run with the same arguments
   * goes on from there. Optional, as a pair: without them every reconcile run starts over.
   */
  getCheckpoint?(name: string, options?: StoreCallOptions): Promise<string | undefined>;
  putCheckpoint?(name: string, value: string, options?: StoreCallOptions): Promise<void>;
  /**
   * Create the table and the indexes listing needs, when they do not exist. Idempotent. `report`
   * hears one line per thing done or noticed (e.g. an emulator without TTL), for `store init`.
   */
  init(options?: InitOptions): Promise<void>;
  /**
   * Optional: throws the store's own error when it cannot write now (a read-only or full disk, a
   * database file deleted under it, missing permissions), writing nothing a reader sees. The local
   * server asks before it starts and on every `GET /readyz`.
   */
  checkWritable?(options?: StoreCallOptions): Promise<void>;
  close(): Promise<void>;
}

/** The most ids one `getMany` call takes: DynamoDB's BatchGetItem and Tablestore's BatchGetRow stop at 100. */
export const GET_MANY_LIMIT = 100;

/** What a checkpoint may be named: short, and safe as a key part in every store. */
export const CHECKPOINT_NAME = /^[A-Za-z0-9._:-]{1,128}$/;
export const CHECKPOINT_MAX_BYTES = 8192;

/** Refuses a checkpoint name or value outside the port's limits, before any store sees it. */
export function checkCheckpoint(name: string, value?: string): void {
  if (!CHECKPOINT_NAME.test(name)) throw new RangeError(`a checkpoint name is 1-128 of A-Z a-z 0-9 . _ : -, got ${JSON.stringify(name.slice(0, 140))}`);
  if (value !== undefined && Buffer.byteLength(value) > CHECKPOINT_MAX_BYTES) throw new RangeError(`a checkpoint holds at most ${CHECKPOINT_MAX_BYTES} bytes`);
}

/** Refuses more ids than one `getMany` takes, before any store sees them. */
export function checkGetMany(ids: readonly string[]): void {
  if (ids.length > GET_MANY_LIMIT) throw new RangeError(`getMany takes at most ${GET_MANY_LIMIT} ids, got ${ids.length}`);
}

/** `store.getMany(ids)`, or one `get` per id for a store without it. */
export async function getMany(store: UploadStore, ids: readonly string[], options?: StoreCallOptions): Promise<Map<string, StoredUpload>> {
  checkGetMany(ids);
  if (store.getMany) return store.getMany(ids, options);
  const found = new Map<string, StoredUpload>();
  for (const id of new Set(ids)) {
    const upload = await store.get(id, options);
    if (upload) found.set(id, upload);
  }
  return found;
}

/** `store.count(query)`, or an error naming a store that cannot count. */
export function countUploads(store: UploadStore, query: CountQuery, options?: StoreCallOptions): Promise<SourceCounts[]> {
  if (!store.count) return Promise.reject(new Error(`${store.description} cannot count uploads: it has no count method`));
  return store.count(query, options);
}

/** A store call failed in a way a retry may fix (throttling, a lock, a dropped connection, a timeout). */
export class TransientStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientStoreError';
  }
}

/** Whether `incoming` may replace `existing` under the same id: only a callback over another source. */
export function replaces(incoming: RecordSource, existing: RecordSource): boolean {
  return incoming === 'callback' && existing !== 'callback';
}

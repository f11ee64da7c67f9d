import type { UploadRecord } from './record.js';

/**
 * The storage port. Adapters only translate these verbs to their store; the idempotency logic that
 * combines them (claim, complete, replay, conflict) lives once, in `record-once.ts`.
 *
 * An entry is either a claim (INPROGRESS: a delivery is writing this id right now) or the finished
 * record (COMPLETE). Claims expire at `claimExpiresAt` (epoch ms); expiry is decided here, in code,
 * never by a store's TTL, which only cleans up.
 */
export const EntryStatus = { INPROGRESS: 'INPROGRESS', COMPLETE: 'COMPLETE' } as const;

export interface ClaimEntry {
  id: string;
  status: typeof EntryStatus.INPROGRESS;
  /** SHA-256 hex of the signed bytes: the same id with other content is a conflict. */
  fingerprint: string;
  /** Random per delivery, so only the claimant can complete or release its claim. */
  claimToken: string;
  claimExpiresAt: number;
}

export interface CompleteEntry {
  id: string;
  status: typeof EntryStatus.COMPLETE;
  fingerprint: string;
  record: UploadRecord;
}

export type StoredEntry = ClaimEntry | CompleteEntry;

export type ClaimOutcome = { claimed: true } | { claimed: false; existing: StoredEntry };

export interface ListQuery {
  bucket?: string;
  /** Object key prefix; needs `bucket`. */
  prefix?: string;
  /** A custom variable to match, e.g. `{ name: 'x:uid', value: '42' }`. */
  variable?: { name: string; value: string };
  uploader?: string;
  limit?: number;
}

export interface StoreCallOptions {
  /** Aborted when the receiver's deadline passes; adapters pass it to their client. */
  signal?: AbortSignal;
}

export interface InitOptions {
  report?: (line: string) => void;
}

export interface UploadStore {
  /** A short description for logs and errors, never with credentials: `sqlite:./data/uploads.db`. */
  readonly description: string;
  /**
   * One conditional write: store `claim` when no entry has its id or the entry there is a claim that
   * expired before `now`. Otherwise leave the store untouched and return what is there.
   */
  claim(claim: ClaimEntry, now: number, options?: StoreCallOptions): Promise<ClaimOutcome>;
  /**
   * Replace the claim holding `claimToken` by the complete entry. Returns false, writing nothing, when
   * that claim is no longer there (it expired and another delivery took it over).
   */
  complete(entry: CompleteEntry, claimToken: string, options?: StoreCallOptions): Promise<boolean>;
  /** Delete the claim holding `claimToken`, if it is still there; never a complete entry. */
  release(id: string, claimToken: string, options?: StoreCallOptions): Promise<void>;
  get(id: string, options?: StoreCallOptions): Promise<StoredEntry | undefined>;
  /** Complete records only, newest first. */
  list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]>;
  /**
   * Create the table and the indexes listing needs, when they do not exist. Idempotent. `report`
   * hears one line per thing done or noticed (e.g. an emulator without TTL), for `store init`.
   */
  init(options?: InitOptions): Promise<void>;
  close(): Promise<void>;
}

/** A store call failed in a way a retry may fix (throttling, a dropped connection, a timeout). */
export class TransientStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientStoreError';
  }
}

import { randomUUID } from 'node:crypto';
import { CallbackError } from '../errors.js';
import { EntryStatus, type ClaimEntry, type StoredEntry, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { backoffDelay, callStore, createBudget, deadlineExceeded, remaining, sleep, type Budget } from './retry.js';

export interface RecordOnceInput {
  id: string;
  /** SHA-256 hex of the signed bytes: the same id with other content is refused with 409. */
  fingerprint: string;
  /** Called only by the delivery that holds the claim, so the record is built once per stored write. */
  build: () => UploadRecord;
}

export interface RecordOnceOptions {
  /** Epoch ms; the receiver must answer before it. Our claim expires then, too. */
  deadline: number;
  signal?: AbortSignal;
  now?: () => number;
}

export interface RecordOnceResult {
  record: UploadRecord;
  /** True when an earlier delivery stored the record and this one wrote nothing. */
  replayed: boolean;
}

/**
 * Store one record per id, Powertools-style: claim the id with one conditional write, write the
 * record over the claim, answer a completed duplicate with the stored record, make a concurrent
 * duplicate wait for the first (or give up with a retryable 503), take over a claim whose owner died
 * and refuse the same id with other content with 409. It never answers without a stored record.
 */
export async function recordOnce(store: UploadStore, input: RecordOnceInput, options: RecordOnceOptions): Promise<RecordOnceResult> {
  const budget = createBudget(options.deadline, options.now ?? Date.now, options.signal);
  try {
    return await claimAndRecord(store, input, budget);
  } finally {
    budget.dispose();
  }
}

async function claimAndRecord(store: UploadStore, input: RecordOnceInput, budget: Budget): Promise<RecordOnceResult> {
  for (let round = 0; ; round++) {
    // A claim that was released or expired is claimed again; pause first so a store that keeps
    // answering with it cannot turn this into a busy loop.
    if (round > 0) await sleep(Math.max(backoffDelay(round), 5), budget);
    const claim: ClaimEntry = {
      id: input.id,
      status: EntryStatus.INPROGRESS,
      fingerprint: input.fingerprint,
      claimToken: randomUUID(),
      claimExpiresAt: budget.deadline,
    };
    const outcome = await callStore(budget, 'claim the upload id', (signal) => store.claim(claim, budget.now(), { signal }));
    // A retried claim whose first attempt landed finds its own token: it holds the claim.
    if (outcome.claimed || ownClaim(outcome.existing, claim)) return await writeRecord(store, claim, input.build, budget);
    const settled = await awaitOther(store, outcome.existing, input.fingerprint, budget);
    if (settled) return settled;
  }
}

function ownClaim(entry: StoredEntry, claim: ClaimEntry): boolean {
  return entry.status === EntryStatus.INPROGRESS && entry.claimToken === claim.claimToken;
}

async function writeRecord(store: UploadStore, claim: ClaimEntry, build: () => UploadRecord, budget: Budget): Promise<RecordOnceResult> {
  let completed: boolean;
  let record: UploadRecord;
  try {
    record = build();
    const entry = { id: claim.id, status: EntryStatus.COMPLETE, fingerprint: claim.fingerprint, record };
    completed = await callStore(budget, 'write the upload record', (signal) => store.complete(entry, claim.claimToken, { signal }));
  } catch (error) {
    await releaseQuietly(store, claim, budget);
    throw error;
  }
  if (completed) return { record, replayed: false };
  // The claim is gone: either a retried write already landed, or the claim expired and another
  // delivery took over. Only a complete entry makes this a success.
  const entry = await callStore(budget, 'read the upload record', (signal) => store.get(claim.id, { signal }));
  if (entry?.status === EntryStatus.COMPLETE && entry.fingerprint === claim.fingerprint) return { record: entry.record, replayed: false };
  throw deadlineExceeded('the claim on this upload expired before its record was written; the delivery can be retried');
}

/**
 * Release our claim after a failure so a retry need not wait for it to expire. Best effort within
 * what is left of the budget: once the deadline passes the claim has expired anyway.
 */
async function releaseQuietly(store: UploadStore, claim: ClaimEntry, budget: Budget): Promise<void> {
  if (remaining(budget) === 0) return;
  try {
    await callStore(budget, 'release the claim', (signal) => store.release(claim.id, claim.claimToken, { signal }));
  } catch {
    // The claim expires at the deadline; the original failure is what the caller must hear about.
  }
}

/**
 * Another delivery got there first. Return its record once complete; undefined when its claim is
 * gone or expired (the caller claims again); wait with backoff while it is in progress.
 */
async function awaitOther(store: UploadStore, first: StoredEntry, fingerprint: string, budget: Budget): Promise<RecordOnceResult | undefined> {
  let entry: StoredEntry | undefined = first;
  for (let attempt = 0; ; attempt++) {
    if (!entry) return undefined;
    if (entry.fingerprint !== fingerprint) {
      throw new CallbackError('IdempotencyConflict', 'an upload with this id was already recorded with different signed content');
    }
    if (entry.status === EntryStatus.COMPLETE) return { record: entry.record, replayed: true };
    // Stores treat a claim as expired once `claimExpiresAt < now`, so wake up just after that.
    const untilExpiry = entry.claimExpiresAt - budget.now();
    if (untilExpiry < 0) return undefined;
    const delay = Math.min(Math.max(backoffDelay(attempt), 5), untilExpiry + 1);
    if (delay >= remaining(budget)) {
      throw deadlineExceeded('a concurrent delivery of this upload is still being recorded; the delivery can be retried');
    }
    await sleep(delay, budget);
    entry = await callStore(budget, 'read the upload record', (signal) => store.get(first.id, { signal }));
  }
}

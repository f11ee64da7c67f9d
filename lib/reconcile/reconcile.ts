import { createBudget, type Budget } from '../deadline.js';
import { OssRefusal, OssUnreachable, type OssClient } from '../oss/client.js';
import { READER_CREDENTIALS_HELP } from '../oss/credentials.js';
import { headObject } from '../oss/head-object.js';
import { listObjects, type ListedObject } from '../oss/list-objects.js';
import type { UploadStore } from '../store/port.js';
import { recordUpload } from '../store/record-upload.js';
import { callStore } from '../store/retry.js';
import { uploadId } from '../store/upload-id.js';
import { recordOf } from './records.js';

export interface ReconcileOptions {
  store: UploadStore;
  oss: OssClient;
  bucket: string;
  prefix?: string;
  /** Objects last modified from `from` to `to` (inclusive) are reconciled. */
  from: Date;
  to: Date;
  /** Read and report, write nothing. */
  dryRun?: boolean;
  /** Objects worked on at once (HeadObject and the store). */
  concurrency?: number;
  /** The time each object's store calls and HeadObject get, retries included. */
  objectBudgetMs?: number;
  now?: () => number;
  /** Called after each object is settled, with the counts so far. */
  onProgress?: (summary: ReconcileSummary) => void;
  signal?: AbortSignal;
}

export interface ReconcileSummary {
  bucket: string;
  prefix: string;
  from: string;
  to: string;
  dryRun: boolean;
  /** Objects listed that were last modified in the window. */
  listed: number;
  /** Of those, the ones a record already holds (a callback's, an event's, an earlier run's). */
  alreadyRecorded: number;
  /** Recorded by this run (with --dry-run: would be). */
  recorded: number;
  /** Deleted or replaced between the listing and HeadObject: nothing left to record. */
  gone: number;
  failed: number;
  /** The first failures, each with the object and what went wrong. */
  failures: { object: string; error: string }[];
}

/** A run that could not start or could not go on: the bucket cannot be listed, the store not read. */
export class ReconcileFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReconcileFailure';
  }
}

export const RECONCILE_DEFAULTS = { concurrency: 8, objectBudgetMs: 30_000 } as const;
const MAX_FAILURES_LISTED = 100;
/** An id no upload has (ids are SHA-256 hex or OSS request ids), read once to show the store answers. */
const PROBE_ID = '0'.repeat(64);

/**
 * Record every object of the bucket (under `prefix`) last modified in the window that no record
 * holds yet: list (ListObjectsV2), skip what the store has under the upload's id (bucket, key, ETag),
 * read the rest with HeadObject and record each with one conditional create (`recordUpload`). Racing
 * reconcilers, and a callback or an event for the same upload, end with one record; a callback's is
 * never replaced. Nothing is written before the store has answered and the first page is listed.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { store, oss, bucket, prefix = '', from, to, dryRun = false, now = Date.now, signal } = options;
  const concurrency = options.concurrency ?? RECONCILE_DEFAULTS.concurrency;
  const budgetMs = options.objectBudgetMs ?? RECONCILE_DEFAULTS.objectBudgetMs;
  const summary: ReconcileSummary = {
    bucket,
    prefix,
    from: from.toISOString(),
    to: to.toISOString(),
    dryRun,
    listed: 0,
    alreadyRecorded: 0,
    recorded: 0,
    gone: 0,
    failed: 0,
    failures: [],
  };
  const withBudget = async <T>(work: (budget: Budget) => Promise<T>): Promise<T> => {
    const budget = createBudget(now() + budgetMs, now, signal);
    try {
      return await work(budget);
    } catch (error) {
      // The budget's own refusal speaks of a callback; here it is one object's time that ran out.
      if (budget.signal.aborted && !signal?.aborted) throw new Error(`not settled within ${budgetMs} ms`, { cause: error });
      throw error;
    } finally {
      budget.dispose();
    }
  };

  await withBudget((budget) => callStore(budget, 'read the upload records', (options) => store.get(PROBE_ID, options))).catch((error: unknown) => {
    throw new ReconcileFailure(`the store ${store.description} cannot be read: ${reason(error)}`, { cause: error });
  });

  async function settle(object: ListedObject): Promise<void> {
    try {
      const outcome = await withBudget(async (budget) => {
        const id = uploadId({ bucket, object: object.key, etag: object.etag }, { facts: object.etag });
        if (await callStore(budget, 'read the upload record', (options) => store.get(id, options))) return 'alreadyRecorded';
        const facts = await headObject(oss, bucket, object.key, budget.signal);
        // Replaced since the listing: that is another upload, for the run that lists it.
        if (!facts || facts.etag !== object.etag) return 'gone';
        if (dryRun) return 'recorded';
        const upload = recordOf('reconcile', { ...facts, operation: null, reqId: null, clientIp: null }, new Date(now()));
        return (await recordUpload(store, upload, budget)).replayed ? 'alreadyRecorded' : 'recorded';
      });
      summary[outcome]++;
    } catch (error) {
      summary.failed++;
      if (summary.failures.length < MAX_FAILURES_LISTED) summary.failures.push({ object: object.key, error: reason(error) });
    }
    options.onProgress?.(summary);
  }

  const running = new Set<Promise<void>>();
  try {
    for await (const page of listing(oss, bucket, prefix, signal)) {
      for (const object of page) {
        const modified = Date.parse(object.lastModified);
        if (modified < from.getTime() || modified > to.getTime()) continue;
        summary.listed++;
        const task = settle(object).finally(() => running.delete(task));
        running.add(task);
        if (running.size >= concurrency) await Promise.race(running);
      }
    }
  } finally {
    await Promise.all(running);
  }
  return summary;
}

/** The listing, with OSS's refusals turned into what to do about them. */
async function* listing(oss: OssClient, bucket: string, prefix: string, signal: AbortSignal | undefined) {
  try {
    yield* listObjects(oss, { bucket, ...(prefix ? { prefix } : {}), ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new ReconcileFailure(listingFailure(error, bucket), { cause: error });
  }
}

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidSecurityToken', 'SecurityTokenExpired']);

function listingFailure(error: unknown, bucket: string): string {
  if (error instanceof OssRefusal) {
    if (CREDENTIAL_CODES.has(error.code)) return `OSS refused the credentials (${error.code}): check them; ${READER_CREDENTIALS_HELP}`;
    if (error.status === 403) return `the credentials may not list bucket ${bucket} (${error.code}): they need oss:ListObjects on it, and oss:GetObject for HeadObject`;
    if (error.code === 'NoSuchBucket') return `bucket ${bucket} does not exist in this region or at this endpoint (NoSuchBucket)`;
    return `OSS could not list bucket ${bucket}: ${error.message}`;
  }
  if (error instanceof OssUnreachable) return `could not list bucket ${bucket}: ${error.message}`;
  return `could not list bucket ${bucket}: ${reason(error)}`;
}

/** What went wrong, with the store's or OSS's own words when a refusal wraps them. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

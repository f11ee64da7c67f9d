import { createBudget, type Budget } from '../deadline.js';
import { OssRefusal, OssUnreachable, type OssClient } from '../oss/client.js';
import { READER_CREDENTIALS_HELP } from '../oss/credentials.js';
import { foldersBetween, parseDatedPrefix } from '../oss/dated-prefix.js';
import { headObject } from '../oss/head-object.js';
import { ListingError, listObjects, type ListedObject } from '../oss/list-objects.js';
import { uploadCounts, type UploadCounts } from '../stats/upload-stats.js';
import { mapAtMost } from '../store/at-most.js';
import { noCounts } from '../store/count-query.js';
import { GET_MANY_LIMIT, getMany, type UploadStore } from '../store/port.js';
import { recordUpload } from '../store/record-upload.js';
import { callStore } from '../store/retry.js';
import { uploadId } from '../store/upload-id.js';
import { parseCheckpoint, type PassCheckpoint } from './checkpoint.js';
import { recordOf } from './records.js';

export interface ReconcileOptions {
  store: UploadStore;
  oss: OssClient;
  bucket: string;
  /** Keys under this prefix: a plain one, or a dated one (`photos/{yyyy}/{mm}/{dd}/`, UTC) of which only the folders the window touches are listed. */
  prefix?: string;
  /** Objects last modified from `from` to `to` (inclusive) are reconciled. */
  from: Date;
  to: Date;
  /**
   * With a dated prefix: how long after its folder's time an object may still be written there (the
   * ticket function picks the folder when it issues the form; the upload completes later). Folders
   * from `from - folderLagMs` on are listed.
   */
  folderLagMs?: number;
  /** Read and report, write nothing (no records, no checkpoint). */
  dryRun?: boolean;
  /** Objects worked on at once (HeadObject and the store). */
  concurrency?: number;
  /** The time each batch read, and each object's HeadObject and write, get, retries included. */
  objectBudgetMs?: number;
  now?: () => number;
  /** Called as objects are settled, with the counts so far. */
  onProgress?: (summary: ReconcileSummary) => void;
  /** Stop cleanly at this time (epoch ms): work in flight is dropped, where the run got to is kept. */
  stopAt?: number;
  /** Stop cleanly when this aborts, as at `stopAt`. */
  signal?: AbortSignal;
  /**
   * Go on from, and keep progress in, the store's checkpoint of this name (`checkpointName`), so a
   * run that stops is resumed by the next. Ignored with dryRun, or by a store without checkpoints.
   */
  checkpoint?: string;
}

export interface ReconcileSummary {
  bucket: string;
  /** As given: a plain prefix, or a dated one. */
  prefix: string;
  /** The pass's window: when this run resumed one, the window that pass started with. */
  from: string;
  to: string;
  dryRun: boolean;
  /** The prefixes the pass lists: the folders of a dated prefix its window touches, else 1. */
  folders: number;
  /** This run went on with a pass an earlier run left unfinished. */
  resumed: boolean;
  /** Every key of the pass was reached and settled. When false, `left` says where the next run with the same arguments goes on. */
  complete: boolean;
  /** Objects listed that were last modified in the window. */
  listed: number;
  /** Of those, the ones a record already holds (a callback's, an event's, an earlier run's). */
  alreadyRecorded: number;
  /** Recorded by this run (with dryRun: would be). */
  recorded: number;
  /** HeadObject of the exact key listed said 404, or gave another ETag: deleted or replaced since the listing, nothing to record. */
  gone: number;
  failed: number;
  /** Listed, but the run stopped before it settled them: the next run reads them again. */
  unsettled: number;
  /** The first failures, each with the object and what went wrong. */
  failures: { object: string; error: string }[];
  /** The uploads among the objects listed, by the source of the record that holds each after this run. */
  uploads: UploadCounts;
  /** What the run asked for: ListObjectsV2 and HeadObject requests, store reads (batched) and writes (records, checkpoints). */
  requests: { list: number; head: number; storeReads: number; storeWrites: number };
  /** When not complete: the folder the next run goes on in, after this key (null: from its start), and how many folders follow it. */
  left?: { folder: string; after: string | null; foldersAfter: number };
  /** What stopped the run early: a listing OSS should never send, OSS or the store no longer answering, a checkpoint not kept. */
  error?: string;
}

/** A run that could not start: the store cannot be read, or OSS refused (or did not answer) the first listing request. Nothing was written. */
export class ReconcileFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReconcileFailure';
  }
}

export const RECONCILE_DEFAULTS = { concurrency: 8, objectBudgetMs: 30_000 } as const;
const MAX_FAILURES_LISTED = 100;
/** Objects asked about in one store read: well under the port's limit, and at least 20 a request. */
const BATCH_SIZE = GET_MANY_LIMIT;
/** How often a long run keeps its place, so a run the platform kills loses little. */
const CHECKPOINT_EVERY_MS = 10_000;
/** The time keeping the checkpoint gets once the run has stopped. */
const SAVE_BUDGET_MS = 5_000;
/** An id no upload has (ids are SHA-256 hex or OSS request ids), read once to show the store answers. */
const PROBE_ID = '0'.repeat(64);

interface Position {
  /** Index into the pass's folders. */
  folder: number;
  /** Every key up to this one in that folder is settled; null: none yet. */
  after: string | null;
}

/**
 * Record every object of the bucket (under `prefix`) last modified in the window that no record holds
 * yet. The listing (ListObjectsV2, keys exactly as OSS holds them, every page checked) goes into
 * batches of up to 100 objects; one store read per batch (`getMany`) finds those a record already
 * holds under the upload's id (bucket, key, ETag); each other one is read with HeadObject of its exact
 * key and recorded with one conditional create (`recordUpload`). Racing reconcilers, and a callback or
 * an event for the same upload, end with one record; a callback's is never replaced.
 *
 * The run keeps its place in the store's checkpoint (`checkpoint`): every key before it is settled.
 * It stops cleanly at `stopAt`, at a listing that is wrong (nothing from that page is recorded), or
 * when the store stops answering, and the next run with the same arguments goes on from the place
 * kept. An object that failed holds the place where it was, so the next run tries it again.
 * Nothing is written before the store has answered and the first page is listed.
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileSummary> {
  const { bucket, dryRun = false, now = Date.now } = options;
  const prefix = parseDatedPrefix(options.prefix ?? '');
  const concurrency = options.concurrency ?? RECONCILE_DEFAULTS.concurrency;
  const budgetMs = options.objectBudgetMs ?? RECONCILE_DEFAULTS.objectBudgetMs;
  const requests = { list: 0, head: 0, storeReads: 0, storeWrites: 0 };
  const store = counted(options.store, requests);
  const oss = countedOss(options.oss, requests);
  const stop = stopSignal(options.stopAt, now, options.signal);
  const withBudget = <T>(work: (budget: Budget) => Promise<T>) => underBudget(work, budgetMs, now, stop.signal);
  const checkpointName = !dryRun && store.getCheckpoint && store.putCheckpoint ? options.checkpoint : undefined;

  try {
    // The store answers before anything is listed: reading the checkpoint shows it, or a probe does.
    let saved: PassCheckpoint | undefined;
    try {
      // Its own budget: a run whose time is already up still learns where it is, and says so.
      const text = await underBudget(
        (budget) => callStore(budget, 'read the upload records', (call) => (checkpointName ? store.getCheckpoint!(checkpointName, call) : store.get(PROBE_ID, call).then(() => undefined))),
        budgetMs,
        now,
        options.signal,
      );
      saved = parseCheckpoint(text, prefix.template);
    } catch (error) {
      throw new ReconcileFailure(`the store ${store.description} cannot be read: ${reason(error)}`, { cause: error });
    }

    const lagMs = prefix.unit ? (options.folderLagMs ?? 0) : 0;
    const { from, to, folders, start, runs } = passOf(saved, options, (from, to) => foldersBetween(prefix, new Date(from.getTime() - lagMs), to));

    const counts = noCounts();
    const summary: ReconcileSummary = {
      bucket,
      prefix: prefix.template,
      from: from.toISOString(),
      to: to.toISOString(),
      dryRun,
      folders: folders.length,
      resumed: runs > 1,
      complete: false,
      listed: 0,
      alreadyRecorded: 0,
      recorded: 0,
      gone: 0,
      failed: 0,
      unsettled: 0,
      failures: [],
      uploads: uploadCounts(counts),
      requests,
    };
    // Totals and coverage are derived when read, not per upload counted: here for a watcher, and once for the summary returned.
    const progress = () => {
      if (!options.onProgress) return;
      summary.uploads = uploadCounts(counts);
      options.onProgress(summary);
    };
    const fail = (object: Pick<ListedObject, 'key'>, error: unknown) => {
      summary.failed++;
      if (summary.failures.length < MAX_FAILURES_LISTED) summary.failures.push({ object: object.key, error: reason(error) });
    };

    let settled = start;
    let lastSaved = now();
    /** Once an object failed, the place stays before it: the next run tries it again. */
    let held = false;
    const save = async (position: Position | 'done') => {
      if (!checkpointName) return;
      const value: PassCheckpoint =
        position === 'done'
          ? { v: 1, prefix: prefix.template, done: true, to: summary.to, runs }
          : { v: 1, prefix: prefix.template, from: summary.from, to: summary.to, runs, folder: folders[position.folder] ?? '', after: position.after };
      lastSaved = now();
      // Kept after the run has stopped, so with a budget of its own rather than the stop signal.
      await underBudget((budget) => callStore(budget, 'keep the checkpoint', (call) => store.putCheckpoint!(checkpointName, JSON.stringify(value), call)), SAVE_BUDGET_MS, now, undefined);
    };
    const advance = async (position: Position) => {
      if (held) return;
      settled = position;
      if (now() - lastSaved >= CHECKPOINT_EVERY_MS) await save(position).catch(() => undefined);
    };

    /** Settle one object no record holds: HeadObject of its exact key, then one conditional create. */
    const settleMissing = async (object: ListedObject): Promise<boolean> => {
      try {
        const outcome = await withBudget(async (budget) => {
          const facts = await headObject(oss, bucket, object.key, budget.signal);
          // Deleted, or replaced since the listing: that is another upload, for the run that lists it.
          if (!facts || facts.etag !== object.etag) return 'gone';
          if (dryRun) return 'recorded';
          const upload = recordOf('reconcile', { ...facts, operation: null, reqId: null, clientIp: null }, new Date(now()));
          const { record, replayed } = await recordUpload(store, upload, budget);
          counts[record.source]++;
          return replayed ? 'alreadyRecorded' : 'recorded';
        });
        summary[outcome]++;
        return true;
      } catch (error) {
        if (stop.signal.aborted) summary.unsettled++;
        else fail(object, error);
        return false;
      } finally {
        progress();
      }
    };

    /** One store read for the batch, then the objects no record holds, `concurrency` at a time. True when every one is settled. */
    const settleBatch = async (batch: ListedObject[]): Promise<boolean> => {
      const ids = batch.map((object) => uploadId({ bucket, object: object.key, etag: object.etag }, { facts: object.etag }));
      let found;
      try {
        found = await withBudget((budget) => callStore(budget, 'read the upload records', (call) => getMany(store, ids, call)));
      } catch (error) {
        if (stop.signal.aborted) {
          summary.unsettled += batch.length;
          return false;
        }
        throw new StoreStopped(`the store ${store.description} stopped answering: ${reason(error)}`, { cause: error });
      }
      const missing: ListedObject[] = [];
      batch.forEach((object, index) => {
        const existing = found.get(ids[index]!);
        if (!existing) return void missing.push(object);
        summary.alreadyRecorded++;
        counts[existing.record.source]++;
      });
      progress();
      return (await mapAtMost(missing, concurrency, settleMissing)).every(Boolean);
    };

    let pending: ListedObject[] = [];
    /** Settle what is pending; the place moves to `through` when every one of them is settled. */
    const flush = async (through: Position) => {
      const batch = pending;
      pending = [];
      if (batch.length > 0 && !(await settleBatch(batch))) {
        held = true;
        return;
      }
      await advance(through);
    };

    let reachedEnd = false;
    let storeStopped = false;
    /** Just after the last page taken from the listing. */
    let listed = start;
    try {
      for (let folder = start.folder; folder < folders.length && !stop.signal.aborted; folder++) {
        const startAfter = folder === start.folder ? start.after : null;
        const pages = listObjects(oss, { bucket, prefix: folders[folder]!, ...(startAfter !== null ? { startAfter } : {}), signal: stop.signal });
        for await (const page of prefetched(pages)) {
          for (const object of page) {
            const modified = Date.parse(object.lastModified);
            if (modified < from.getTime() || modified > to.getTime()) continue;
            summary.listed++;
            pending.push(object);
            if (pending.length === BATCH_SIZE) await flush({ folder, after: object.key });
            if (stop.signal.aborted) break;
          }
          if (stop.signal.aborted) break;
          // Keys out of the window are settled by being listed.
          if (page.length > 0) listed = { folder, after: page.at(-1)!.key };
          if (pending.length === 0) await advance(listed);
        }
        if (stop.signal.aborted) break;
        listed = { folder: folder + 1, after: null };
        if (pending.length === 0) await advance(listed);
      }
      reachedEnd = !stop.signal.aborted;
    } catch (error) {
      if (error instanceof StoreStopped) {
        storeStopped = true;
        summary.error = error.message;
      } else if (!stop.signal.aborted) {
        // A key that cannot be read exactly is an object not accounted for: counted and listed as failed, never gone.
        if (error instanceof ListingError && error.key !== undefined) fail({ key: error.key }, error);
        // OSS refusing or not answering the very first request: the run never started.
        if (!(error instanceof ListingError) && requests.list === 1 && summary.listed === 0) throw new ReconcileFailure(listingFailure(error, bucket), { cause: error });
        summary.error = listingFailure(error, bucket);
      }
    }
    // What good pages listed is settled before the run ends; a page that was wrong added nothing.
    if (!stop.signal.aborted && !storeStopped) {
      await flush(listed).catch((error: unknown) => {
        if (!(error instanceof StoreStopped)) throw error;
        summary.error = error.message;
      });
    }
    summary.unsettled += pending.length;
    summary.uploads = uploadCounts(counts);
    summary.complete = reachedEnd && !held && !summary.error && !stop.signal.aborted;
    if (!summary.complete) {
      summary.left = { folder: folders[settled.folder] ?? '', after: settled.after, foldersAfter: Math.max(0, folders.length - settled.folder - 1) };
    }
    try {
      await save(summary.complete ? 'done' : settled);
    } catch (error) {
      summary.error = [summary.error, `the checkpoint could not be kept, so the next run starts this pass over: ${reason(error)}`].filter(Boolean).join('; ');
    }
    return summary;
  } finally {
    stop.dispose();
  }
}

/**
 * The pass this run works on: the one the checkpoint says an earlier run left unfinished, with its
 * own window, going on from its place; else a new one over the window asked for, which starts no
 * later than the end of a pass that took several runs (that pass covered its window for every key).
 */
function passOf(saved: PassCheckpoint | undefined, asked: { from: Date; to: Date }, foldersOf: (from: Date, to: Date) => string[]) {
  if (saved && !('done' in saved)) {
    const from = new Date(saved.from);
    const to = new Date(saved.to);
    const folders = foldersOf(from, to);
    const folder = folders.indexOf(saved.folder);
    if (folder >= 0) return { from, to, folders, start: { folder, after: saved.after } satisfies Position, runs: saved.runs + 1 };
  }
  const from = saved && 'done' in saved && saved.runs > 1 ? new Date(Math.min(asked.from.getTime(), Date.parse(saved.to))) : asked.from;
  return { from, to: asked.to, folders: foldersOf(from, asked.to), start: { folder: 0, after: null } satisfies Position, runs: 1 };
}

/** The store stopped answering a batch read: the run cannot go on. */
class StoreStopped extends Error {}

/** A signal that aborts at `stopAt` or with the caller's signal. */
function stopSignal(stopAt: number | undefined, now: () => number, signal: AbortSignal | undefined) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const timer = stopAt === undefined ? undefined : setTimeout(() => controller.abort(new Error('the time limit was reached')), Math.max(0, stopAt - now()));
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

async function underBudget<T>(work: (budget: Budget) => Promise<T>, budgetMs: number, now: () => number, signal: AbortSignal | undefined): Promise<T> {
  const budget = createBudget(now() + budgetMs, now, signal);
  try {
    return await work(budget);
  } catch (error) {
    // The budget's own refusal speaks of a callback; here it is one object's, or one batch's, time that ran out.
    if (budget.signal.aborted && !signal?.aborted) throw new Error(`not settled within ${budgetMs} ms`, { cause: error });
    throw error;
  } finally {
    budget.dispose();
  }
}

/** The listing one page ahead: the next page is on its way while this one is settled. */
async function* prefetched<T>(pages: AsyncGenerator<T>): AsyncGenerator<T> {
  let next = pages.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = pages.next();
      // Seen by the loop below when it awaits it; until then a failure must not be unhandled.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    // Not awaited: a page still on its way is dropped (its request ends at its abort signal or timeout).
    pages.return(undefined).catch(() => undefined);
  }
}

/** The store, counting the requests made through it. */
function counted(store: UploadStore, requests: ReconcileSummary['requests']): UploadStore {
  return {
    description: store.description,
    create: (upload, call) => (requests.storeWrites++, store.create(upload, call)),
    get: (id, call) => (requests.storeReads++, store.get(id, call)),
    ...(store.getMany && { getMany: (ids, call) => (requests.storeReads++, store.getMany!(ids, call)) }),
    ...(store.getCheckpoint && { getCheckpoint: (name, call) => (requests.storeReads++, store.getCheckpoint!(name, call)) }),
    ...(store.putCheckpoint && { putCheckpoint: (name, value, call) => (requests.storeWrites++, store.putCheckpoint!(name, value, call)) }),
    list: (query, call) => store.list(query, call),
    bind: (binding, call) => store.bind(binding, call),
    init: (init) => store.init(init),
    close: () => store.close(),
  };
}

function countedOss(oss: OssClient, requests: ReconcileSummary['requests']): OssClient {
  return {
    location: oss.location,
    send: (request) => {
      if (request.method === 'HEAD') requests.head++;
      else requests.list++;
      return oss.send(request);
    },
    close: () => oss.close(),
  };
}

const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidSecurityToken', 'SecurityTokenExpired']);

function listingFailure(error: unknown, bucket: string): string {
  if (error instanceof OssRefusal) {
    if (CREDENTIAL_CODES.has(error.code)) return `OSS refused the credentials (${error.code}): check them; ${READER_CREDENTIALS_HELP}`;
    if (error.status === 403) return `the credentials may not list bucket ${bucket} (${error.code}): they need oss:ListObjects on it, and oss:GetObject for HeadObject`;
    if (error.code === 'NoSuchBucket') return `bucket ${bucket} does not exist in this region or at this endpoint (NoSuchBucket)`;
    return `OSS could not list bucket ${bucket}: ${error.message}`;
  }
  if (error instanceof ListingError) return `the listing of bucket ${bucket} is wrong, so the run stopped there: ${error.message}`;
  if (error instanceof OssUnreachable) return `could not list bucket ${bucket}: ${error.message}`;
  return `could not list bucket ${bucket}: ${reason(error)}`;
}

/** What went wrong, with the store's or OSS's own words when a refusal wraps them. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}

import type { AliyunCredentials } from '../credentials.js';
import { jsonLogger, type LogFields, type Logger } from '../logger.js';
import { createOssClient, type OssClient } from '../oss/client.js';
import { READER_CREDENTIALS_HELP, readerCredentials } from '../oss/credentials.js';
import { ossLocation } from '../oss/location.js';
import type { UploadStore } from '../store/port.js';
import { loadReconcileFunctionConfig, loadScheduledRunConfig, type ScheduledRunConfig } from './function-config.js';
import { checkpointName } from './checkpoint.js';
import type { OssEventDocument } from './oss-event.js';
import { recordOssEvents, uploadsOfEvents, type EventOutcome } from './record-events.js';
import { reconcile, type ReconcileSummary } from './reconcile.js';
import { openStoreWith, type StoreOpeners } from '../store/store-uri.js';

/** What one invocation brings: Function Compute's rotating STS credentials, and the time it has left. */
export interface ReconcileInvocation {
  aliyunCredentials?: AliyunCredentials;
  remainingMs?: number;
}

/** Time kept back from the platform's limit: a run that stops keeps its checkpoint and logs what it did in it. */
const PLATFORM_MARGIN_MS = 10_000;

interface Warm {
  store: UploadStore;
  logger: Logger;
  /** Loaded on the first scheduled run: the event handler needs none of it. */
  schedule?: ScheduledRunConfig;
}

/**
 * The reconcile function's warm instance: the store opened on the first invocation and kept; the
 * latest invocation's credentials are what the store (Tablestore on FC) and the OSS reader sign with.
 * A start that fails is tried again on the next invocation.
 */
function warmReconciler(stores: StoreOpeners) {
  let warm: Promise<Warm> | undefined;
  let latest: AliyunCredentials | undefined;
  const invocationCredentials = () => latest;
  return {
    get(invocation: ReconcileInvocation): Promise<Warm> {
      if (invocation.aliyunCredentials) latest = invocation.aliyunCredentials;
      warm ??= (async () => {
        const config = loadReconcileFunctionConfig();
        return { store: await openStoreWith(stores, config.store, { aliyunCredentials: invocationCredentials }), logger: jsonLogger(config.logLevel) };
      })().catch((error: unknown) => {
        warm = undefined;
        throw error;
      });
      return warm;
    },
    credentials: () => readerCredentials(process.env, invocationCredentials),
    reset() {
      warm = undefined;
      latest = undefined;
    },
  };
}

export interface ReconcileFunction {
  /**
   * A scheduled run: every bucket of OSS_CALLBACK_BUCKETS over the last window, each given an equal
   * share of the time the invocation has left, so a large bucket cannot starve the others. One
   * summary line is logged per bucket. A bucket not finished in its time keeps its place in the
   * store, and the next run goes on from there, so every key is reached however large the bucket.
   * Anything left unaccounted for (a bucket not listed, an object not recorded) fails the invocation,
   * so the platform shows it and the next run, whose window overlaps, retries.
   */
  runScheduled(invocation: ReconcileInvocation): Promise<ReconcileSummary[]>;
  /** OSS ObjectCreated events (Function Compute's OSS trigger): each object recorded as it is stored. */
  recordEvents(document: OssEventDocument, invocation: ReconcileInvocation): Promise<EventOutcome[]>;
  /** For tests: forget the warm instance, as a cold start would. */
  reset(): void;
}

/** The reconcile function of a bundle that carries `stores`: UPLOAD_STORE picks among them. */
export function reconcileFunction(stores: StoreOpeners): ReconcileFunction {
  const instance = warmReconciler(stores);
  return {
    runScheduled: (invocation) => runScheduled(instance, invocation),
    recordEvents: (document, invocation) => recordEvents(instance, document, invocation),
    reset: instance.reset,
  };
}

type Instance = ReturnType<typeof warmReconciler>;

async function runScheduled(instance: Instance, invocation: ReconcileInvocation): Promise<ReconcileSummary[]> {
  const warm = await instance.get(invocation);
  warm.schedule ??= loadScheduledRunConfig();
  const { buckets, location, prefix, sinceMs, graceMs, folderLagMs } = warm.schedule;
  const credentials = instance.credentials();
  if (!credentials()) throw new Error(`the scheduled reconcile has no OSS credentials: ${READER_CREDENTIALS_HELP}`);
  const oss = createOssClient({ location, credentials });
  const now = Date.now();
  const deadline = invocation.remainingMs === undefined ? undefined : now + Math.max(0, invocation.remainingMs - PLATFORM_MARGIN_MS);
  const summaries: ReconcileSummary[] = [];
  const failures: string[] = [];
  try {
    for (const [index, bucket] of buckets.entries()) {
      const stopAt = deadline === undefined ? undefined : Date.now() + (deadline - Date.now()) / (buckets.length - index);
      try {
        const summary = await reconcile({
          store: warm.store,
          oss,
          bucket,
          prefix,
          from: new Date(now - sinceMs),
          to: new Date(now - graceMs),
          folderLagMs,
          checkpoint: checkpointName({ bucket, prefix, sinceMs, graceMs, folderLagMs }),
          ...(stopAt === undefined ? {} : { stopAt }),
        });
        summaries.push(summary);
        const trouble = summary.failed > 0 || summary.error !== undefined;
        warm.logger.log(trouble ? 'error' : summary.complete ? 'info' : 'warn', 'reconcile', summaryFields(summary));
        if (summary.error) failures.push(summary.error);
        if (summary.failed) failures.push(`${summary.failed} objects of bucket ${bucket} not recorded`);
      } catch (error) {
        warm.logger.log('error', 'reconcile', { bucket, error: (error as Error).message });
        failures.push((error as Error).message);
      }
    }
  } finally {
    oss.close();
  }
  if (failures.length) throw new Error(`the scheduled reconcile did not account for every object: ${failures.join('; ')}`);
  return summaries;
}

/** A summary as one flat log line: the counts, the uploads in `stats`'s terms, the requests made, and where a run that stopped left off. */
export function summaryFields(summary: ReconcileSummary): LogFields {
  const { failures, uploads, requests, left, ...counts } = summary;
  return {
    ...counts,
    ...uploads,
    listRequests: requests.list,
    headRequests: requests.head,
    storeReads: requests.storeReads,
    storeWrites: requests.storeWrites,
    leftFolder: left?.folder,
    leftAfter: left?.after,
    leftFolders: left?.foldersAfter,
    firstFailure: failures[0] ? `${failures[0].object}: ${failures[0].error}` : undefined,
  };
}

async function recordEvents(instance: Instance, document: OssEventDocument, invocation: ReconcileInvocation): Promise<EventOutcome[]> {
  const warm = await instance.get(invocation);
  const oss = eventReader(instance);
  try {
    const outcomes = await recordOssEvents(warm.store, document, oss ? { oss } : {});
    for (const outcome of outcomes) warm.logger.log(outcome.outcome === 'recorded' || outcome.outcome === 'already recorded' || outcome.outcome === 'ignored' ? 'info' : 'warn', 'oss event', { ...outcome });
    warm.logger.log('info', 'oss events', { events: outcomes.length, ...uploadsOfEvents(outcomes) });
    return outcomes;
  } finally {
    oss?.close();
  }
}

/**
 * The reader that checks which spelling of a key OSS holds: OSS_REGION and OSS_ENDPOINT (s.yaml sets
 * both), the invocation's credentials. None without them: a key that may be URL-encoded is then
 * reported, not recorded.
 */
function eventReader(instance: Instance): OssClient | undefined {
  const { OSS_REGION, OSS_ENDPOINT } = process.env;
  if (!OSS_REGION && !OSS_ENDPOINT) return undefined;
  const credentials = instance.credentials();
  if (!credentials()) return undefined;
  return createOssClient({ location: ossLocation({ region: OSS_REGION, endpoint: OSS_ENDPOINT }, { region: 'OSS_REGION', endpoint: 'OSS_ENDPOINT' }), credentials });
}

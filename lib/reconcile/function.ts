import type { AliyunCredentials } from '../credentials.js';
import { jsonLogger, type Logger } from '../logger.js';
import { createOssClient } from '../oss/client.js';
import { READER_CREDENTIALS_HELP, readerCredentials } from '../oss/credentials.js';
import type { UploadStore } from '../store/port.js';
import { loadReconcileFunctionConfig, loadScheduledRunConfig, type ScheduledRunConfig } from './function-config.js';
import type { OssEventDocument } from './oss-event.js';
import { recordOssEvents, type EventOutcome } from './record-events.js';
import { reconcile, type ReconcileSummary } from './reconcile.js';
import { openStoreWith, type StoreOpeners } from '../store/store-uri.js';

/** What one invocation brings: Function Compute's rotating STS credentials, and the time it has left. */
export interface ReconcileInvocation {
  aliyunCredentials?: AliyunCredentials;
  remainingMs?: number;
}

/** Time kept back from the platform's limit, so a run cut short still reports what it did. */
const PLATFORM_MARGIN_MS = 5_000;

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
   * A scheduled run: every bucket of OSS_CALLBACK_BUCKETS over the last window. One summary line is
   * logged per bucket; anything left unaccounted for (a bucket not listed, an object not recorded)
   * fails the invocation, so the platform shows it and the next run, whose window overlaps, retries.
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
  const { buckets, location, prefix, sinceMs, graceMs } = warm.schedule;
  const credentials = instance.credentials();
  if (!credentials()) throw new Error(`the scheduled reconcile has no OSS credentials: ${READER_CREDENTIALS_HELP}`);
  const oss = createOssClient({ location, credentials });
  const signal = invocation.remainingMs === undefined ? undefined : AbortSignal.timeout(Math.max(0, invocation.remainingMs - PLATFORM_MARGIN_MS));
  const now = Date.now();
  const summaries: ReconcileSummary[] = [];
  const failures: string[] = [];
  try {
    for (const bucket of buckets) {
      try {
        const summary = await reconcile({ store: warm.store, oss, bucket, prefix, from: new Date(now - sinceMs), to: new Date(now - graceMs), ...(signal ? { signal } : {}) });
        summaries.push(summary);
        const { failures: failed, ...counts } = summary;
        warm.logger.log(summary.failed ? 'error' : 'info', 'reconcile', { ...counts, firstFailure: failed[0] ? `${failed[0].object}: ${failed[0].error}` : undefined });
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

async function recordEvents(instance: Instance, document: OssEventDocument, invocation: ReconcileInvocation): Promise<EventOutcome[]> {
  const warm = await instance.get(invocation);
  const outcomes = await recordOssEvents(warm.store, document);
  for (const outcome of outcomes) warm.logger.log(outcome.outcome === 'malformed' ? 'warn' : 'info', 'oss event', { ...outcome });
  return outcomes;
}

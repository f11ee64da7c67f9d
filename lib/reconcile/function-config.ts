import { ConfigError, DEFAULT_STORE, logLevelOf, type Config } from '../config.js';
import type { OssLocation } from '../oss/location.js';
import { parseDatedPrefix } from '../oss/dated-prefix.js';
import { servedBuckets } from '../oss/served-buckets.js';
import { parseDuration } from './duration.js';

/** The reconcile function's own settings; README, "Deploying the reconcile function". */
export interface ReconcileFunctionConfig {
  store: string;
  logLevel: Config['logLevel'];
}

/** What a scheduled run reconciles: each served bucket, over the last window. */
export interface ScheduledRunConfig {
  buckets: readonly string[];
  location: OssLocation;
  /** Plain, or dated (`photos/{yyyy}/{mm}/{dd}/`). */
  prefix: string;
  sinceMs: number;
  graceMs: number;
  folderLagMs: number;
}

/** Runs an hour apart overlap by an hour, so a run that failed is covered by the next. */
export const SCHEDULE_DEFAULTS = { since: '2h', grace: '2m' } as const;

/**
 * How long after its folder's time an object may still be written under a dated prefix: the ticket
 * function names the folder when it issues the form, which is good for 10 minutes (its default
 * OSS_TICKET_TTL_SECONDS), and the upload may take an hour more (OSS_TICKET_UPLOAD_WINDOW_SECONDS).
 */
export const DEFAULT_FOLDER_LAG = '70m';

export function loadReconcileFunctionConfig(env: NodeJS.ProcessEnv = process.env): ReconcileFunctionConfig {
  return { store: env.UPLOAD_STORE || DEFAULT_STORE, logLevel: logLevelOf(env) };
}

/**
 * OSS_CALLBACK_BUCKETS, OSS_REGION and OSS_ENDPOINT as the receiver reads them; OSS_RECONCILE_PREFIX
 * (plain or dated), OSS_RECONCILE_SINCE, OSS_RECONCILE_GRACE and OSS_RECONCILE_FOLDER_LAG for the window. Read on the first scheduled run only:
 * the OSS event handler of the same function needs none of them.
 */
export function loadScheduledRunConfig(env: NodeJS.ProcessEnv = process.env): ScheduledRunConfig {
  const duration = (name: string, fallback: string) => {
    try {
      return parseDuration(env[name] || fallback);
    } catch (error) {
      throw new ConfigError(`${name}: ${(error as Error).message}`);
    }
  };
  let served;
  try {
    served = servedBuckets(env, 'the scheduled reconcile');
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
  const sinceMs = duration('OSS_RECONCILE_SINCE', SCHEDULE_DEFAULTS.since);
  const graceMs = duration('OSS_RECONCILE_GRACE', SCHEDULE_DEFAULTS.grace);
  if (graceMs >= sinceMs) throw new ConfigError('OSS_RECONCILE_GRACE must be shorter than OSS_RECONCILE_SINCE, or the window is empty');
  const prefix = env.OSS_RECONCILE_PREFIX ?? '';
  try {
    parseDatedPrefix(prefix);
  } catch (error) {
    throw new ConfigError(`OSS_RECONCILE_PREFIX: ${(error as Error).message}`);
  }
  return { ...served, prefix, sinceMs, graceMs, folderLagMs: duration('OSS_RECONCILE_FOLDER_LAG', DEFAULT_FOLDER_LAG) };
}

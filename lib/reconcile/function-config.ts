import { ConfigError, DEFAULT_STORE, logLevelOf, type Config } from '../config.js';
import type { OssLocation } from '../oss/location.js';
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
  prefix: string;
  sinceMs: number;
  graceMs: number;
}

/** Runs an hour apart overlap by an hour, so a run that failed is covered by the next. */
export const SCHEDULE_DEFAULTS = { since: '2h', grace: '2m' } as const;

export function loadReconcileFunctionConfig(env: NodeJS.ProcessEnv = process.env): ReconcileFunctionConfig {
  return { store: env.UPLOAD_STORE || DEFAULT_STORE, logLevel: logLevelOf(env) };
}

/**
 * OSS_CALLBACK_BUCKETS, OSS_REGION and OSS_ENDPOINT as the receiver reads them; OSS_RECONCILE_PREFIX,
 * OSS_RECONCILE_SINCE and OSS_RECONCILE_GRACE for the window. Read on the first scheduled run only:
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
  return { ...served, prefix: env.OSS_RECONCILE_PREFIX ?? '', sinceMs, graceMs };
}

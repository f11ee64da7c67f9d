import { platformFunction, type PlatformFunction } from './callback-metrics.js';
import { servedBuckets, type ServedBuckets } from './oss/served-buckets.js';
import { loadTrustedKeysFile, pinnedKeys, type PinnedKeys } from './protocol/trusted-keys.js';

/** Everything the receiver reads from its environment, validated once per cold start. */
export interface Config {
  /** `sqlite:<path>` | `memory:` | `dynamodb:<table>` | `tablestore:<instance>/<table>`. */
  store: string;
  /** The official OSS key under both its URLs, plus the keys of the OSS_CALLBACK_TRUSTED_KEYS file. */
  pinnedKeys: PinnedKeys;
  trustedKeysFile: string | null;
  /** Bodies above this many bytes are refused while reading. */
  maxBodyBytes: number;
  /** The receiver answers before this many ms have passed; OSS gives up at 5000. */
  deadlineMs: number;
  port: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Upload tickets: with OSS_TICKET_KEYS (JSON, parsed where the ticket step is built) a ticket in
   * `x:ticket` is checked; with OSS_CALLBACK_REQUIRE_TICKET every callback must carry one. Null when
   * no keys are configured.
   */
  tickets: { keysJson: string; required: boolean } | null;
  /**
   * Confirm mode (OSS_CALLBACK_CONFIRM, off by default): HeadObject before recording, in the buckets
   * of OSS_CALLBACK_BUCKETS only. Null when off.
   */
  confirm: ServedBuckets | null;
  /** The Lambda or Function Compute function this runs as (callback-metrics.ts); null elsewhere. */
  platformFunction: PlatformFunction | null;
}

export const DEFAULT_STORE = 'sqlite:./data/uploads.db';
export const DEFAULTS = { maxBodyBytes: 65_536, deadlineMs: 4_000, port: 9_000 } as const;
/**
 * Inclusive ranges. OSS callback bodies are small; 1 MiB is far past any real template. Past 4800 ms
 * there is no time left to answer before OSS's 5 s cut-off.
 */
export const RANGES = { maxBodyBytes: [1, 1_048_576], deadlineMs: [100, 4_800] } as const;

export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A whole number from `min` to `max`, or `fallback` when the variable is unset or empty. */
export function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export function logLevelOf(env: NodeJS.ProcessEnv): Config['logLevel'] {
  const logLevel = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  }
  return logLevel as Config['logLevel'];
}

/** `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no`; unset or empty is `fallback`. */
export function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'on', 'yes'].includes(raw)) return true;
  if (['false', '0', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(env[name])}`);
}

function ticketSettings(env: NodeJS.ProcessEnv): Config['tickets'] {
  const required = flag(env, 'OSS_CALLBACK_REQUIRE_TICKET', false);
  if (!env.OSS_TICKET_KEYS) {
    if (required) throw new ConfigError('OSS_CALLBACK_REQUIRE_TICKET needs OSS_TICKET_KEYS, the keys tickets are signed with');
    return null;
  }
  return { keysJson: env.OSS_TICKET_KEYS, required };
}

function confirmMode(env: NodeJS.ProcessEnv): Config['confirm'] {
  if (!flag(env, 'OSS_CALLBACK_CONFIRM', false)) return null;
  try {
    return servedBuckets(env, 'OSS_CALLBACK_CONFIRM');
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
}

/** The official OSS key, plus the keys of the OSS_CALLBACK_TRUSTED_KEYS file when it is set. */
export function pinnedKeysFromEnv(env: NodeJS.ProcessEnv): PinnedKeys {
  const trustedKeysFile = env.OSS_CALLBACK_TRUSTED_KEYS || null;
  try {
    return pinnedKeys(trustedKeysFile ? loadTrustedKeysFile(trustedKeysFile) : undefined);
  } catch (error) {
    throw new ConfigError(`OSS_CALLBACK_TRUSTED_KEYS: ${(error as Error).message}`, { cause: error });
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const pinned = pinnedKeysFromEnv(env);
  const logLevel = logLevelOf(env);
  return {
    store: env.UPLOAD_STORE || DEFAULT_STORE,
    pinnedKeys: pinned,
    trustedKeysFile: env.OSS_CALLBACK_TRUSTED_KEYS || null,
    maxBodyBytes: wholeNumber(env, 'OSS_CALLBACK_MAX_BODY', DEFAULTS.maxBodyBytes, ...RANGES.maxBodyBytes),
    deadlineMs: wholeNumber(env, 'OSS_CALLBACK_DEADLINE_MS', DEFAULTS.deadlineMs, ...RANGES.deadlineMs),
    port: wholeNumber(env, 'PORT', DEFAULTS.port, 0, 65_535),
    logLevel,
    tickets: ticketSettings(env),
    confirm: confirmMode(env),
    platformFunction: platformFunction(env),
  };
}

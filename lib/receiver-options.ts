import { ConfigError, loadConfig, RANGES, type Config } from './config.js';
import type { Logger } from './logger.js';
import { pinnedKeys, trustedKeysOf } from './protocol/trusted-keys.js';
import type { UploadStore } from './store/port.js';

/** What `createReceiver` takes in code; each option given replaces its environment variables. */
export interface ConfigOptions {
  /**
   * An open store, or the URI of one: `memory:`, `sqlite:<path>`, `dynamodb:<table>`,
   * `tablestore:<instance>/<table>`. Default: `UPLOAD_STORE`, else `sqlite:./data/uploads.db`.
   */
  store?: UploadStore | string;
  /**
   * Keys to trust besides the official OSS key, `{ "<key url>": "<PEM public key>" }`, used as they
   * are and never fetched. The official key's URLs cannot be given another key. Default: the
   * `OSS_CALLBACK_TRUSTED_KEYS` file, else none.
   */
  trustedKeys?: Readonly<Record<string, string>>;
  /** The receiver answers before this many ms (100 to 4800). Default: `OSS_CALLBACK_DEADLINE_MS`, else 4000. */
  deadlineMs?: number;
  /** The largest callback body accepted, in bytes (1 to 1048576). Default: `OSS_CALLBACK_MAX_BODY`, else 65536. */
  maxBodyBytes?: number;
  /**
   * Upload tickets: the keys `{ "<key id>": "<base64 secret, 32+ bytes>" }` tickets are signed with,
   * and whether every callback must carry one; `false` checks none. Default: `OSS_TICKET_KEYS` and
   * `OSS_CALLBACK_REQUIRE_TICKET`.
   */
  tickets?: { keys: Readonly<Record<string, string>>; required?: boolean } | false;
  /**
   * Where the one line per callback goes. Default: JSON lines on stdout at `LOG_LEVEL` (`jsonLogger`).
   * Nothing secret is ever passed to it.
   */
  logger?: Logger;
  /** The environment that fills in what is not given. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** The environment variables each option replaces: not read at all when the option is given. */
const REPLACED: { [option in keyof ConfigOptions]?: string[] } = {
  store: ['UPLOAD_STORE'],
  trustedKeys: ['OSS_CALLBACK_TRUSTED_KEYS'],
  deadlineMs: ['OSS_CALLBACK_DEADLINE_MS'],
  maxBodyBytes: ['OSS_CALLBACK_MAX_BODY'],
  tickets: ['OSS_TICKET_KEYS', 'OSS_CALLBACK_REQUIRE_TICKET'],
  logger: ['LOG_LEVEL'],
};

function inRange(name: keyof typeof RANGES, value: number): number {
  const [min, max] = RANGES[name];
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  return value;
}

function pinnedFrom(trustedKeys: Readonly<Record<string, string>>): Config['pinnedKeys'] {
  try {
    return pinnedKeys(trustedKeysOf(trustedKeys, 'trustedKeys'));
  } catch (error) {
    throw new ConfigError((error as Error).message, { cause: error });
  }
}

/** The receiver's configuration: the options given, and the environment, read as `loadConfig` reads it, for the rest. */
export function receiverConfig(options: ConfigOptions = {}, env: NodeJS.ProcessEnv = options.env ?? process.env): Config {
  const rest = { ...env };
  for (const [option, names] of Object.entries(REPLACED)) {
    if (options[option as keyof ConfigOptions] !== undefined) for (const name of names) delete rest[name];
  }
  const config = loadConfig(rest);
  if (options.store !== undefined) config.store = typeof options.store === 'string' ? options.store : options.store.description;
  if (options.trustedKeys) Object.assign(config, { pinnedKeys: pinnedFrom(options.trustedKeys), trustedKeysFile: null });
  if (options.deadlineMs !== undefined) config.deadlineMs = inRange('deadlineMs', options.deadlineMs);
  if (options.maxBodyBytes !== undefined) config.maxBodyBytes = inRange('maxBodyBytes', options.maxBodyBytes);
  if (options.tickets !== undefined) {
    config.tickets = options.tickets ? { keysJson: JSON.stringify(options.tickets.keys), required: options.tickets.required ?? false } : null;
  }
  return config;
}

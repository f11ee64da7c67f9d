import { CallbackError } from '../errors.js';

/** Names that say nothing about the store: the language's own errors, aborts, and this package's wrappers. */
const GENERIC_NAMES = new Set([
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'AbortError', 'TimeoutError', 'CallbackError', 'TransientStoreError', 'ConfigError',
]);

/**
 * The store's own account of a failure: down the error's `cause` chain, past this package's
 * refusals and wrappers, the first error with a `code` string (SQLite's `SQLITE_FULL`, Tablestore's
 * `OTSServerBusy`, Node's `ECONNREFUSED`) or else a specific `name` (DynamoDB's error type,
 * `ProvisionedThroughputExceededException`), with its message. A store of your own shows up the same
 * way when its errors carry a `code` or a `name`.
 */
export function storeCause(error: unknown): { code: string; message: string } | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (!(current instanceof CallbackError)) {
      const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown };
      const found = typeof code === 'string' && code !== '' ? code : typeof name === 'string' && name !== '' && !GENERIC_NAMES.has(name) ? name : undefined;
      if (found !== undefined) return { code: found, message: typeof message === 'string' ? message : '' };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The store's own code for a failure, for the log line of a 503 and for readiness (see `storeCause`). */
export function storeCode(error: unknown): string | undefined {
  return storeCause(error)?.code;
}

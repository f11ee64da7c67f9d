import { CallbackError } from '../errors.js';

/** Names that say nothing about the store: the language's own errors, aborts, and this package's wrappers. */
const GENERIC_NAMES = new Set([
  'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError',
  'AbortError', 'TimeoutError', 'CallbackError', 'TransientStoreError', 'ConfigError',
]);

/**
 * The store's own name for a failure, for the log line of a 503 and for readiness: down the error's
 * `cause` chain, past this package's refusals and wrappers, the first `code` string (SQLite's
 * `SQLITE_FULL`, Tablestore's `OTSServerBusy`, Node's `ECONNREFUSED`) or else the first specific
 * `name` (DynamoDB's error type, `ProvisionedThroughputExceededException`). A store of your own
 * shows up the same way when its errors carry a `code` or a `name`.
 */
export function storeCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (!(current instanceof CallbackError)) {
      const { code, name } = current as { code?: unknown; name?: unknown };
      if (typeof code === 'string' && code !== '') return code;
      if (typeof name === 'string' && name !== '' && !GENERIC_NAMES.has(name)) return name;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

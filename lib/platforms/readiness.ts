import { ConfigError } from '../config.js';
import { createBudget } from '../deadline.js';
import { jsonResponse, type LocalRoutes } from '../exchange.js';
import type { Logger } from '../logger.js';
import type { UploadStore } from '../store/port.js';
import { callStore } from '../store/retry.js';
import { storeCause } from '../store/store-code.js';

/**
 * Whether `store` can record an upload now, within `deadlineMs`: its own write check, or a read for a
 * store without one. Throws a refusal whose cause is the store's own error.
 */
export async function checkStore(store: UploadStore, deadlineMs: number): Promise<void> {
  const budget = createBudget(Date.now() + deadlineMs);
  try {
    await callStore(budget, 'check that it can write', (options) => (store.checkWritable ? store.checkWritable(options) : store.get('readyz', options).then(() => undefined)));
  } finally {
    budget.dispose();
  }
}

/** A store the local server cannot serve with, said with the store's own code and words. */
export function unusableStore(store: string, what: string, error: unknown): Error {
  if (error instanceof ConfigError) return error;
  const cause = storeCause(error);
  const why = cause ? `${cause.code}: ${cause.message}` : String((error as Error)?.message ?? error);
  return new Error(`the store ${store} ${what} (${why})`, { cause: error });
}

/**
 * `GET /readyz`: 200 while the store can record uploads, 503 with the store's own code while it
 * cannot (a read-only or full disk, a database file deleted under the server, a store that does not
 * answer), each change logged once. `GET /healthz` stays the liveness answer: the process serves.
 */
export function readinessRoute(store: UploadStore, deadlineMs: number, logger: Logger): LocalRoutes {
  let ready = true;
  return (request) => {
    if (request.method !== 'GET' || request.rawPath !== '/readyz') return undefined;
    return checkStore(store, deadlineMs).then(
      () => {
        if (!ready) logger.log('info', 'store ready', { store: store.description });
        ready = true;
        return jsonResponse(200, { Status: 'OK' });
      },
      (error: unknown) => {
        const cause = storeCause(error);
        if (ready) logger.log('error', 'store not ready', { store: store.description, storeCode: cause?.code, error: cause?.message });
        ready = false;
        return jsonResponse(503, { Status: 'Error', code: 'StoreUnavailable', message: 'the store cannot record uploads now', storeCode: cause?.code });
      },
    );
  };
}

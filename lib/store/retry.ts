import { CallbackError } from '../errors.js';
import { TransientStoreError } from './port.js';

/** The time one `recordOnce` may spend: a deadline on the caller's clock and a signal that fires at it. */
export interface Budget {
  deadline: number;
  now: () => number;
  /** Aborts when the deadline passes in real time or the caller gives up, whichever is first. */
  signal: AbortSignal;
  /** Stop the deadline timer and stop following the caller's signal; call when the work is done. */
  dispose(): void;
}

/**
 * One controller, one timer and one listener: `AbortSignal.any` with `AbortSignal.timeout` costs about
 * three times as much per callback on Node 20 and leaves its timer running after the work is done.
 */
export function createBudget(deadline: number, now: () => number, callerSignal?: AbortSignal): Budget {
  const controller = new AbortController();
  const expire = () => controller.abort(deadlineExceeded('the deadline has passed'));
  const follow = () => controller.abort(callerSignal?.reason);
  const left = deadline - now();
  // A passed deadline must stop the very first call, not a timer tick later.
  const timer = left > 0 ? setTimeout(expire, left).unref() : (expire(), undefined);
  if (callerSignal?.aborted) follow();
  else callerSignal?.addEventListener('abort', follow, { once: true });
  return {
    deadline,
    now,
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', follow);
    },
  };
}

export function remaining(budget: Budget): number {
  return budget.signal.aborted ? 0 : Math.max(0, budget.deadline - budget.now());
}

export function deadlineExceeded(message: string, cause?: unknown): CallbackError {
  return new CallbackError('DeadlineExceeded', message, cause === undefined ? undefined : { cause });
}

const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 250;

/** Full jitter (AWS architecture blog): a random wait up to an exponentially growing cap. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

/** Resolves after `ms`, or rejects with the budget's deadline refusal as soon as the budget runs out. */
export function sleep(ms: number, budget: Budget): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(deadlineExceeded('the deadline passed while waiting to retry the store'));
    };
    const timer = setTimeout(() => {
      budget.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (budget.signal.aborted) onAbort();
    else budget.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One store call under the budget: the adapter gets the budget's signal, and the call is abandoned
 * when the signal fires even if the adapter ignores it (a late result is then dropped; the claim it
 * may have written expires at the deadline, so the store still holds the full record or nothing).
 * Transient failures are retried with jittered backoff while the budget allows another attempt; any
 * other failure, or running out of budget, becomes a 503 refusal. The store's own error stays in
 * `cause` for the log; the message, which goes back to the uploader, names only what failed.
 */
export async function callStore<T>(budget: Budget, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (budget.signal.aborted) throw deadlineExceeded(`the deadline passed before the store could ${what}`);
    try {
      return await abandonOnAbort(call(budget.signal), budget.signal);
    } catch (error) {
      if (budget.signal.aborted) throw deadlineExceeded(`the store did not ${what} before the deadline`, error);
      if (!(error instanceof TransientStoreError)) {
        throw new CallbackError('StoreUnavailable', `the store could not ${what}`, { cause: error });
      }
      const delay = backoffDelay(attempt);
      if (delay >= remaining(budget)) {
        throw new CallbackError('StoreUnavailable', `the store could not ${what} within the deadline`, { cause: error });
      }
      await sleep(delay, budget);
    }
  }
}

function abandonOnAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

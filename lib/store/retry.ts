import { deadlineExceeded, remaining, withinBudget, type Budget } from '../deadline.js';
import { CallbackError } from '../errors.js';
import { TransientStoreError, type StoreCallOptions } from './port.js';

const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 250;

/** Full jitter (AWS architecture blog): a random wait up to an exponentially growing cap. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt));
}

/** Resolves after `ms`, or rejects with the budget's deadline refusal as soon as the budget runs out. */
export function sleep(ms: number, budget: Budget): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      forget();
      resolve();
    }, ms);
    const forget = budget.onExpire(() => {
      clearTimeout(timer);
      reject(deadlineExceeded('the deadline passed while waiting to retry the store'));
    });
  });
}

/**
 * One store call under the budget: the adapter gets the budget's signal in its options, and the call is abandoned
 * when the signal fires even if the adapter ignores it (a late result is then dropped; the write is
 * one conditional create, so the store holds the full record or nothing, and a redelivery finds it).
 * Transient failures are retried with jittered backoff while the budget allows another attempt; any
 * other failure, or running out of budget, becomes a 503 refusal. The store's own error stays in
 * `cause` for the log; the message, which goes back to the uploader, names only what failed.
 */
export async function callStore<T>(budget: Budget, what: string, call: (options: StoreCallOptions) => Promise<T>): Promise<T> {
  // The signal is made only if the adapter reads it: a SQLite or memory store never does.
  const options: StoreCallOptions = { get signal() { return budget.signal; }, deadline: budget.deadline };
  for (let attempt = 0; ; attempt++) {
    if (budget.expired) throw deadlineExceeded(`the deadline passed before the store could ${what}`);
    try {
      return await withinBudget(call(options), budget);
    } catch (error) {
      if (budget.expired) throw deadlineExceeded(`the store did not ${what} before the deadline`, error);
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

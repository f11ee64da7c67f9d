import { deadlineExceeded, remaining, withinBudget, type Budget } from '../deadline.js';
import { CallbackError } from '../errors.js';
import { RetryStrategy, STANDARD_RETRIES } from '../http/retry.js';
import { TransientStoreError, type StoreCallOptions } from './port.js';

/**
 * Retries of a `TransientStoreError` (a store of your own): the AWS SDK's standard mode
 * (lib/http/retry.ts) with 4 attempts, one quota for the process. A store whose client retries on its
 * own (DynamoDB, Tablestore) throws no TransientStoreError once its retries are spent, so the two
 * layers never multiply: a throttled table sees at most its client's attempts per call. SQLite waits
 * out a locked file itself, until the deadline, and then throws SQLite's own error, not retried here.
 */
const storeRetries = new RetryStrategy({
  policy: { ...STANDARD_RETRIES, maxAttempts: 4 },
  classify: (error) => (error instanceof TransientStoreError ? 'transient' : undefined),
});

/**
 * One store call under the budget: the adapter gets the budget's signal and deadline in its options,
 * and the call is abandoned when the signal fires even if the adapter ignores it (a late result is
 * then dropped; a record is written by one conditional create, so the store holds the full record or
 * nothing, and a redelivery finds it). A TransientStoreError is retried while the attempts, the
 * quota and the budget allow; any other failure, or running out of budget, becomes a 503 refusal. The
 * store's own error stays in `cause` for the log; the message, which goes back to the uploader, names
 * only what failed.
 */
export async function callStore<T>(budget: Budget, what: string, call: (options: StoreCallOptions) => Promise<T>): Promise<T> {
  // The signal is made only if the adapter reads it: a SQLite or memory store never does.
  const options: StoreCallOptions = {
    get signal() {
      return budget.signal;
    },
    get deadline() {
      return Date.now() + remaining(budget);
    },
  };
  try {
    // No signal for the waits: none is begun that would end past the deadline, and a caller who gave
    // up early is noticed before the next attempt.
    return await storeRetries.run(() => {
      if (budget.expired) throw deadlineExceeded(`the deadline passed before the store could ${what}`);
      return withinBudget(call(options), budget);
    }, { deadline: options.deadline });
  } catch (error) {
    if (error instanceof CallbackError) throw error;
    if (budget.expired) throw deadlineExceeded(`the store did not ${what} before the deadline`, error);
    throw new CallbackError('StoreUnavailable', `the store could not ${what}`, { cause: error });
  }
}

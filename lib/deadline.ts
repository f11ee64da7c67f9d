import { CallbackError } from './errors.js';

/**
 * The time one callback may spend, shared by every step of the pipeline: a deadline on the caller's
 * clock, one timer and one abort signal that fires at it. Steps pass the signal to their clients and
 * stop waiting when it fires, so the answer goes out before OSS stops listening.
 */
export interface Budget {
  deadline: number;
  now: () => number;
  /** True once the deadline has passed in real time or the caller gave up. */
  readonly expired: boolean;
  /** For clients that take one (http requests); made on first use, aborted when the budget expires. */
  readonly signal: AbortSignal;
  /** Call `listener` once when the budget expires; returns a function that forgets it. */
  onExpire(listener: (reason: unknown) => void): () => void;
  /** Stop the deadline timer and stop following the caller's signal; call when the work is done. */
  dispose(): void;
}

/**
 * One timer and a plain list of listeners: an EventTarget listener costs about 5 µs to add and remove
 * on Node 20, and a callback would pay that at every step, so the AbortSignal is made only for the
 * clients that ask for it (a SQLite or memory store never does).
 */
export function createBudget(deadline: number, now: () => number = Date.now, callerSignal?: AbortSignal): Budget {
  let reason: unknown;
  let controller: AbortController | undefined;
  const listeners = new Set<(reason: unknown) => void>();
  const expire = (why: unknown) => {
    if (reason !== undefined) return;
    reason = why;
    controller?.abort(why);
    for (const listener of listeners) listener(why);
    listeners.clear();
  };
  const onTimeout = () => expire(deadlineExceeded('the callback could not be completed before the deadline'));
  const follow = () => expire(deadlineExceeded('the caller stopped waiting', callerSignal?.reason));
  const left = deadline - now();
  // A passed deadline must stop the very first call, not a timer tick later.
  const timer = left > 0 ? setTimeout(onTimeout, left).unref() : (onTimeout(), undefined);
  if (callerSignal?.aborted) follow();
  else callerSignal?.addEventListener('abort', follow, { once: true });
  return {
    deadline,
    now,
    get expired() {
      return reason !== undefined;
    },
    get signal() {
      controller ??= new AbortController();
      if (reason !== undefined && !controller.signal.aborted) controller.abort(reason);
      return controller.signal;
    },
    onExpire(listener) {
      if (reason !== undefined) {
        listener(reason);
        return () => {};
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      clearTimeout(timer);
      listeners.clear();
      callerSignal?.removeEventListener('abort', follow);
    },
  };
}

/** Milliseconds left; 0 once the budget has expired. */
export function remaining(budget: Budget): number {
  return budget.expired ? 0 : Math.max(0, budget.deadline - budget.now());
}

export function deadlineExceeded(message: string, cause?: unknown): CallbackError {
  return new CallbackError('DeadlineExceeded', message, cause === undefined ? undefined : { cause });
}

/**
 * Settle with `work`, or reject with the budget's reason as soon as it expires: a step that ignores
 * the signal is abandoned, its late result dropped.
 */
export function withinBudget<T>(work: Promise<T>, budget: Budget): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const forget = budget.onExpire(reject);
    work.then(resolve, reject).finally(forget);
  });
}

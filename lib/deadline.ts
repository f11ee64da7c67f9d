import { CallbackError } from './errors.js';

/**
 * The time one callback may spend, shared by every step of the pipeline: a deadline on the caller's
 * clock, one timer and one abort signal that fires at it. Steps pass the signal to their clients and
 * stop waiting when it fires, so the answer goes out before OSS stops listening.
 */
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
export function createBudget(deadline: number, now: () => number = Date.now, callerSignal?: AbortSignal): Budget {
  const controller = new AbortController();
  const expire = () => controller.abort(deadlineExceeded('the callback could not be completed before the deadline'));
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

/** Milliseconds left; 0 once the signal has fired. */
export function remaining(budget: Budget): number {
  return budget.signal.aborted ? 0 : Math.max(0, budget.deadline - budget.now());
}

export function deadlineExceeded(message: string, cause?: unknown): CallbackError {
  return new CallbackError('DeadlineExceeded', message, cause === undefined ? undefined : { cause });
}

/**
 * Settle with `work`, or reject with the signal's reason as soon as it fires: a step that ignores the
 * signal is abandoned, its late result dropped.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

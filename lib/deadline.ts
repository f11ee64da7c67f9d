import { CallbackError } from './errors.js';

/**
 * Run `work` against a deadline: when it passes, the signal given to `work` aborts and the caller gets
 * a DeadlineExceeded refusal at once, so the answer always goes out before OSS stops waiting.
 */
export async function withDeadline<T>(deadline: number, now: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new CallbackError('DeadlineExceeded', 'the callback could not be completed before the deadline');
      controller.abort(error);
      reject(error);
    }, Math.max(0, deadline - now));
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

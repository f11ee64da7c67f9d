import type { UploadStore } from '../../lib/store/port.js';

type Verb = 'claim' | 'complete' | 'release' | 'get';
/** Runs before (or, with `after`, instead of answering after) the real call; throwing is the fault. */
export type Fault = { verb: Verb; times: number; fail: () => never; after?: boolean } | { verb: Verb; times: number; hang: true };

/**
 * A real store with faults in front of chosen verbs: throw before the call (the store never saw it),
 * throw after it (the write landed but the answer was lost) or never answer.
 */
export function withFaults(store: UploadStore, faults: Fault[]): UploadStore & { calls: Record<Verb, number> } {
  const calls: Record<Verb, number> = { claim: 0, complete: 0, release: 0, get: 0 };
  const wrap =
    <A extends unknown[], R>(verb: Verb, real: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      calls[verb]++;
      const fault = faults.find((f) => f.verb === verb && f.times > 0);
      if (!fault) return real(...args);
      fault.times--;
      if ('hang' in fault) return new Promise<R>(() => {});
      if (!fault.after) fault.fail();
      await real(...args);
      return fault.fail();
    };
  return {
    description: `faulty ${store.description}`,
    calls,
    claim: wrap('claim', store.claim.bind(store)),
    complete: wrap('complete', store.complete.bind(store)),
    release: wrap('release', store.release.bind(store)),
    get: wrap('get', store.get.bind(store)),
    list: store.list.bind(store),
    init: store.init.bind(store),
    close: store.close.bind(store),
  };
}

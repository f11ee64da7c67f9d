import type { UploadStore } from '../../lib/store/port.js';

type Verb = 'create' | 'get' | 'bind';
/** Runs before (or, with `after`, instead of answering after) the real call; throwing is the fault. */
export type Fault = { verb: Verb; times: number; fail: () => never; after?: boolean } | { verb: Verb; times: number; hang: true };

/**
 * A real store with faults in front of chosen verbs: throw before the call (the store never saw it),
 * throw after it (the write landed but the answer was lost) or never answer.
 */
export function withFaults(store: UploadStore, faults: Fault[]): UploadStore & { calls: Record<Verb, number> } {
  const calls: Record<Verb, number> = { create: 0, get: 0, bind: 0 };
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
    create: wrap('create', store.create.bind(store)),
    get: wrap('get', store.get.bind(store)),
    bind: wrap('bind', store.bind.bind(store)),
    list: store.list.bind(store),
    init: store.init.bind(store),
    close: store.close.bind(store),
  };
}

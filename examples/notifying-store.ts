/**
 * A store of your own: the UploadStore port, here wrapped around another store so that every new
 * record is also handed to the app (a queue, a webhook, a cache to warm). The README's "Your own
 * store" shows it; test/unit/store/notifying-store.test.ts runs it through the store contract.
 */
import type { UploadRecord, UploadStore } from 'oss-upload-callback';

export function notifyingStore(inner: UploadStore, notify: (record: UploadRecord) => void): UploadStore {
  return {
    description: `${inner.description} (notifying)`,
    async create(upload, options) {
      const outcome = await inner.create(upload, options);
      // Only a record actually stored: a repeat or a conflict returns what was there.
      if (outcome.created) notify(upload.record);
      return outcome;
    },
    get: (id, options) => inner.get(id, options),
    // Optional, passed on when the inner store has them: without getMany the receiver and reconcile
    // ask get() once per id, without checkpoints reconcile cannot resume, without count no stats.
    ...(inner.getMany && { getMany: inner.getMany.bind(inner) }),
    ...(inner.getCheckpoint && inner.putCheckpoint && { getCheckpoint: inner.getCheckpoint.bind(inner), putCheckpoint: inner.putCheckpoint.bind(inner) }),
    ...(inner.count && { count: inner.count.bind(inner) }),
    list: (query, options) => inner.list(query, options),
    bind: (binding, options) => inner.bind(binding, options),
    init: (options) => inner.init(options),
    close: () => inner.close(),
  };
}

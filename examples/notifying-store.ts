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
    // Optional: without it the receiver asks get() once per id.
    ...(inner.getMany && { getMany: inner.getMany.bind(inner) }),
    list: (query, options) => inner.list(query, options),
    bind: (binding, options) => inner.bind(binding, options),
    init: (options) => inner.init(options),
    close: () => inner.close(),
  };
}

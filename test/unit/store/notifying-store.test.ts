import { expect, it } from 'vitest';
import { notifyingStore } from '../../../examples/notifying-store.js';
import type { UploadRecord } from '../../../lib/store/record.js';
import { openMemoryStore } from '../../../lib/store/memory.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { storedUpload, uploadRecord } from '../../support/upload-records.js';

/** The README's example of a store of your own keeps every promise of the port, and notifies once per record stored. */
describeStoreContract('the README example (notifyingStore over memory:)', async () => notifyingStore(openMemoryStore(), () => {}), { interruptWrites: 'one write' });

it('notifies each record stored, once, and neither a repeat nor a record refused', async () => {
  const notified: UploadRecord[] = [];
  const store = notifyingStore(openMemoryStore(), (record) => void notified.push(record));
  const first = storedUpload(uploadRecord({ id: 'n-1' }));

  await store.create(first);
  await store.create(first);
  await store.create(storedUpload(uploadRecord({ id: 'n-1', source: 'reconcile' })));

  expect(notified).toEqual([first.record]);
});

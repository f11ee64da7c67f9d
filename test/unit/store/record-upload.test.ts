import { describe, expect, it } from 'vitest';
import { TransientStoreError } from '../../../lib/store/port.js';
import { openMemoryStore } from '../../../lib/store/memory.js';
import { withFaults, type Fault } from '../../support/faulty-store.js';
import { recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';

const upload = storedUpload(uploadRecord({ id: 'a' }));
const throttled = () => {
  throw new TransientStoreError('throttled');
};
const broken = () => {
  throw new Error('no such table');
};

function setUp(...faults: Fault[]) {
  const inner = openMemoryStore();
  return { inner, store: withFaults(inner, faults) };
}

describe('recordUpload under store faults', () => {
  it('writes once when the store answers, and retries transient failures within the budget', async () => {
    const { inner, store } = setUp({ verb: 'create', times: 3, fail: throttled });
    expect(await recordWithin(store, upload)).toEqual({ record: upload.record, replayed: false });
    expect(store.calls).toEqual({ create: 4, get: 0, bind: 0 });
    expect(await inner.get('a')).toEqual(upload);
  });

  it('answers StoreUnavailable when throttling outlasts the budget, leaving no record', async () => {
    const { inner, store } = setUp({ verb: 'create', times: Infinity, fail: throttled });
    const started = Date.now();
    await expect(recordWithin(store, upload, 400)).rejects.toMatchObject({ code: 'StoreUnavailable' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(store.calls.create).toBeGreaterThan(1);
    expect(store.calls.create).toBeLessThanOrEqual(4);
    expect(await inner.list({})).toEqual([]);
  });

  it('makes at most 4 attempts however long the budget (a throttled store of your own)', async () => {
    const { inner, store } = setUp({ verb: 'create', times: Infinity, fail: throttled });
    const attempt = recordWithin(store, upload, 30_000);
    await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable', message: 'the store could not write the upload record' });
    await expect(attempt).rejects.toHaveProperty('cause.message', 'throttled');
    expect(store.calls.create).toBe(4);
    expect(await inner.list({})).toEqual([]);
  });

  it('answers StoreUnavailable at once on a failure no retry can fix, keeping the cause for the log', async () => {
    const { inner, store } = setUp({ verb: 'create', times: 1, fail: broken });
    const attempt = recordWithin(store, upload);
    await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable', message: 'the store could not write the upload record' });
    await expect(attempt).rejects.toHaveProperty('cause.message', 'no such table');
    expect(store.calls.create).toBe(1);
    expect(await inner.get('a')).toBeUndefined();
  });

  it('answers DeadlineExceeded on time when the store never answers', async () => {
    const { inner, store } = setUp({ verb: 'create', times: 1, hang: true });
    const started = Date.now();
    await expect(recordWithin(store, upload, 200)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(Date.now() - started).toBeLessThan(700);
    expect(await inner.get('a')).toBeUndefined();
  });

  it('answers DeadlineExceeded when the caller aborts', async () => {
    const { store } = setUp({ verb: 'create', times: 1, hang: true });
    const controller = new AbortController();
    const attempt = recordWithin(store, upload, 3_000, Date.now, controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(attempt).rejects.toMatchObject({ code: 'DeadlineExceeded' });
  });

  it('answers with the record when a retried create finds its own first attempt landed', async () => {
    const { inner, store } = setUp({ verb: 'create', times: 1, fail: throttled, after: true });
    const result = await recordWithin(store, upload);
    expect(result.record).toEqual(upload.record);
    expect(store.calls.create).toBe(2);
    expect(await inner.list({})).toHaveLength(1);
  });
});

describe('recordUpload and a record of another object under the same id', () => {
  // Only a row written before ids had namespaces (a reqId chosen to equal another upload's id) gets here.
  it('never answers with it nor replaces it, whichever source asks', async () => {
    const store = openMemoryStore();
    const squatter = storedUpload(uploadRecord({ id: 'shared', object: 'users/mallory/x.jpg', etag: null }));
    await store.create(squatter);
    for (const source of ['callback', 'reconcile', 'event'] as const) {
      const owner = storedUpload(uploadRecord({ id: 'shared', object: 'users/alice/cat.jpg', source }), `fp-${source}`);
      await expect(recordWithin(store, owner)).rejects.toMatchObject({ code: 'IdempotencyConflict', message: expect.stringMatching(/another object/) });
    }
    expect(await store.get('shared')).toEqual(squatter);
  });

  it('still answers a redelivery, and another upload of the same object with the same ETag, with the stored record', async () => {
    const store = openMemoryStore();
    const first = storedUpload(uploadRecord({ id: 'same', etag: '"abc"' }), 'fp-1');
    await store.create(first);
    const again = storedUpload(uploadRecord({ id: 'same', etag: 'ABC', vars: { 'x:uid': '9' } }), 'fp-2');
    expect(await recordWithin(store, again)).toEqual({ record: first.record, replayed: true });
  });
});

import { describe, expect, it } from 'vitest';
import { EntryStatus, TransientStoreError } from '../../../lib/store/port.js';
import { openMemoryStore } from '../../../lib/store/memory.js';
import { recordOnce } from '../../../lib/store/record-once.js';
import { withFaults, type Fault } from '../../support/faulty-store.js';
import { fingerprintOf, uploadRecord } from '../../support/upload-records.js';

const fingerprint = fingerprintOf('signed bytes');
const input = { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) };
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

describe('recordOnce under store faults', () => {
  it('retries transient failures of every verb within the budget', async () => {
    // Prepare
    const { inner, store } = setUp({ verb: 'claim', times: 3, fail: throttled }, { verb: 'complete', times: 2, fail: throttled });
    // Act
    const result = await recordOnce(store, input, { deadline: Date.now() + 3_000 });
    // Assess
    expect(result).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
    expect(store.calls).toMatchObject({ claim: 4, complete: 3 });
    expect((await inner.get('a'))?.status).toBe(EntryStatus.COMPLETE);
  });

  it('answers StoreUnavailable when throttling outlasts the budget, leaving no record', async () => {
    const { inner, store } = setUp({ verb: 'complete', times: Infinity, fail: throttled });
    const started = Date.now();
    await expect(recordOnce(store, input, { deadline: started + 400 })).rejects.toMatchObject({ code: 'StoreUnavailable' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(store.calls.complete).toBeGreaterThan(2);
    expect(await inner.list({})).toEqual([]);
  });

  it('answers StoreUnavailable at once on a failure no retry can fix, and releases its claim', async () => {
    const { inner, store } = setUp({ verb: 'complete', times: 1, fail: broken });
    const attempt = recordOnce(store, input, { deadline: Date.now() + 3_000 });
    await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable', message: 'the store could not write the upload record' });
    await expect(attempt).rejects.toHaveProperty('cause.message', 'no such table');
    expect(store.calls).toMatchObject({ complete: 1, release: 1 });
    expect(await inner.get('a')).toBeUndefined();
  });

  it('answers DeadlineExceeded on time when the store never answers', async () => {
    const { inner, store } = setUp({ verb: 'claim', times: 1, hang: true });
    const started = Date.now();
    await expect(recordOnce(store, input, { deadline: started + 200 })).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(Date.now() - started).toBeLessThan(700);
    expect(await inner.get('a')).toBeUndefined();
  });

  it('answers DeadlineExceeded when the caller aborts', async () => {
    const { store } = setUp({ verb: 'complete', times: 1, hang: true });
    const controller = new AbortController();
    const attempt = recordOnce(store, input, { deadline: Date.now() + 3_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(attempt).rejects.toMatchObject({ code: 'DeadlineExceeded' });
  });

  it('holds the claim when a retried claim finds its own first attempt landed', async () => {
    const { inner, store } = setUp({ verb: 'claim', times: 1, fail: throttled, after: true });
    const result = await recordOnce(store, input, { deadline: Date.now() + 3_000 });
    expect(result.replayed).toBe(false);
    expect((await inner.get('a'))?.status).toBe(EntryStatus.COMPLETE);
  });

  it('answers with the record when a retried complete finds its first attempt landed', async () => {
    const { inner, store } = setUp({ verb: 'complete', times: 1, fail: throttled, after: true });
    const result = await recordOnce(store, input, { deadline: Date.now() + 3_000 });
    expect(result).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
    expect(store.calls.complete).toBe(2);
    expect(await inner.list({})).toHaveLength(1);
  });

  it('refuses with DeadlineExceeded when its claim was taken over before it could complete', async () => {
    // Prepare: our claim expires (deadline passes on the injected clock) and another delivery takes it.
    const inner = openMemoryStore();
    let clock = Date.now();
    const store = withFaults(inner, []);
    const slowBuild = () => {
      const expired = clock + 10_000;
      clock = expired;
      return uploadRecord({ id: 'a' });
    };
    const original = store.complete;
    store.complete = async (entry, token, options) => {
      await inner.claim({ id: 'a', status: EntryStatus.INPROGRESS, fingerprint, claimToken: 'thief', claimExpiresAt: clock + 5_000 }, clock);
      return original(entry, token, options);
    };
    // Act
    const attempt = recordOnce(store, { ...input, build: slowBuild }, { deadline: clock + 1_000, now: () => clock });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(await inner.get('a')).toMatchObject({ status: EntryStatus.INPROGRESS, claimToken: 'thief' });
  });
});

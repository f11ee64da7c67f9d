import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallbackError } from '../../lib/errors.js';
import { EntryStatus, type ClaimEntry, type UploadStore } from '../../lib/store/port.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { recordOnce } from '../../lib/store/record-once.js';
import { fingerprintOf, uploadRecord } from '../support/upload-records.js';

/**
 * The one suite every adapter passes: the port's conditional writes, listing, and the idempotency
 * they give `recordOnce`. `open` returns a store over fresh, empty storage; the suite calls `init`
 * and `close`.
 */
export function describeStoreContract(name: string, open: () => Promise<UploadStore>): void {
  describe(`UploadStore contract: ${name}`, () => {
    let store: UploadStore;
    beforeEach(async () => {
      store = await open();
      await store.init();
    });
    afterEach(async () => {
      await store.close();
    });

    const fingerprint = fingerprintOf('signed bytes');
    const claimFor = (id: string, claimExpiresAt: number, token = `token-${id}`, fp = fingerprint): ClaimEntry => ({
      id,
      status: EntryStatus.INPROGRESS,
      fingerprint: fp,
      claimToken: token,
      claimExpiresAt,
    });
    const complete = (record: UploadRecord, fp = fingerprint) => ({ id: record.id, status: EntryStatus.COMPLETE, fingerprint: fp, record });
    /** Store `record` through the port, as one delivery would. */
    const put = async (record: UploadRecord) => {
      const claim = claimFor(record.id, Date.now() + 60_000);
      expect(await store.claim(claim, Date.now())).toEqual({ claimed: true });
      expect(await store.complete(complete(record), claim.claimToken)).toBe(true);
    };
    const soon = () => ({ deadline: Date.now() + 3_000 });
    const ids = (list: UploadRecord[]) => list.map((record) => record.id);

    describe('port', () => {
      it('claims an unknown id and shows the claim', async () => {
        const claim = claimFor('a', Date.now() + 5_000);
        expect(await store.claim(claim, Date.now())).toEqual({ claimed: true });
        expect(await store.get('a')).toEqual(claim);
        expect(await store.get('unknown')).toBeUndefined();
      });

      it('refuses a second claim while the first is live, returning the first', async () => {
        const first = claimFor('a', Date.now() + 5_000, 'first');
        await store.claim(first, Date.now());
        const outcome = await store.claim(claimFor('a', Date.now() + 5_000, 'second'), Date.now());
        expect(outcome).toEqual({ claimed: false, existing: first });
      });

      it('lets an expired claim be taken over', async () => {
        const now = Date.now();
        await store.claim(claimFor('a', now - 1, 'crashed'), now - 4_000);
        const taker = claimFor('a', now + 5_000, 'taker');
        expect(await store.claim(taker, now)).toEqual({ claimed: true });
        expect(await store.get('a')).toEqual(taker);
      });

      it('never claims over a complete entry, however old', async () => {
        const record = uploadRecord({ id: 'a' });
        await put(record);
        const outcome = await store.claim(claimFor('a', Date.now() + 5_000, 'late'), Date.now() + 10 * 86_400_000);
        expect(outcome).toEqual({ claimed: false, existing: complete(record) });
      });

      it('completes only with the claim token, and keeps the record exactly', async () => {
        const record = uploadRecord({ id: 'a', object: 'dir/ünïcode ✓.jpg', vars: { 'x:uid': '42', 'x:note': 'a=b&c' } });
        await store.claim(claimFor('a', Date.now() + 5_000, 'mine'), Date.now());
        expect(await store.complete(complete(record), 'not-mine')).toBe(false);
        expect((await store.get('a'))?.status).toBe(EntryStatus.INPROGRESS);
        expect(await store.complete(complete(record), 'mine')).toBe(true);
        expect(await store.get('a')).toEqual(complete(record));
      });

      it('keeps null fields and a record without image or vars exactly', async () => {
        const record = uploadRecord({
          id: 'bare', etag: null, size: null, mimeType: null, crc64: null, contentMd5: null, operation: null,
          reqId: null, clientIp: null, vpcId: null, image: null, vars: {}, uploader: null,
        });
        await put(record);
        expect(await store.get('bare')).toEqual(complete(record));
      });

      it('does not complete a claim that was taken over', async () => {
        const now = Date.now();
        await store.claim(claimFor('a', now - 1, 'old'), now - 4_000);
        await store.claim(claimFor('a', now + 5_000, 'new'), now);
        expect(await store.complete(complete(uploadRecord({ id: 'a' })), 'old')).toBe(false);
        expect(await store.get('a')).toMatchObject({ status: EntryStatus.INPROGRESS, claimToken: 'new' });
      });

      it('releases only its own claim and never a complete entry', async () => {
        await store.claim(claimFor('a', Date.now() + 5_000, 'mine'), Date.now());
        await store.release('a', 'other');
        expect(await store.get('a')).toMatchObject({ claimToken: 'mine' });
        await store.release('a', 'mine');
        expect(await store.get('a')).toBeUndefined();
        await put(uploadRecord({ id: 'b' }));
        await store.release('b', 'token-b');
        expect((await store.get('b'))?.status).toBe(EntryStatus.COMPLETE);
        await store.release('nothing-here', 'x');
      });

      it('initialises idempotently, keeping what is stored', async () => {
        await put(uploadRecord({ id: 'a' }));
        await store.init();
        expect((await store.get('a'))?.status).toBe(EntryStatus.COMPLETE);
      });
    });

    describe('list', () => {
      const at = (minute: number) => `2026-08-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      const records = [
        uploadRecord({ id: 'r1', bucket: 'photos', object: 'users/42/a.jpg', receivedAt: at(1), vars: { 'x:uid': '42' }, uploader: 'alice' }),
        uploadRecord({ id: 'r2', bucket: 'photos', object: 'users/7/b.jpg', receivedAt: at(2), vars: { 'x:uid': '7' }, uploader: 'bob' }),
        uploadRecord({ id: 'r3', bucket: 'photos', object: 'users/42/c.jpg', receivedAt: at(3), vars: { 'x:uid': '42', 'x:album': 'x' }, uploader: 'alice' }),
        uploadRecord({ id: 'r4', bucket: 'docs', object: 'users/42/d.pdf', receivedAt: at(4), vars: { 'x:uid': '42' }, uploader: null }),
        uploadRecord({ id: 'r5', bucket: 'photos', object: 'odd%_name/e.jpg', receivedAt: at(5), vars: {}, uploader: null }),
        // Same second as r3: the id orders them.
        uploadRecord({ id: 'r6', bucket: 'photos', object: 'oddXYname/f.jpg', receivedAt: at(3), vars: { 'x:uid': '4' }, uploader: 'alice' }),
      ];

      beforeEach(async () => {
        for (const record of records) await put(record);
        // A live claim and a released one are not records.
        await store.claim(claimFor('pending', Date.now() + 60_000), Date.now());
      });

      it('lists complete records only, newest first', async () => {
        expect(ids(await store.list({}))).toEqual(['r5', 'r4', 'r6', 'r3', 'r2', 'r1']);
        expect(await store.list({ limit: 1 })).toEqual([records[4]]);
      });

      it('lists by bucket and by bucket and key prefix, taking the prefix literally', async () => {
        expect(ids(await store.list({ bucket: 'photos' }))).toEqual(['r5', 'r6', 'r3', 'r2', 'r1']);
        expect(ids(await store.list({ bucket: 'photos', prefix: 'users/42/' }))).toEqual(['r3', 'r1']);
        expect(ids(await store.list({ bucket: 'photos', prefix: 'odd%_' }))).toEqual(['r5']);
        expect(ids(await store.list({ bucket: 'photos', prefix: 'users/42/', limit: 1 }))).toEqual(['r3']);
        expect(await store.list({ bucket: 'none' })).toEqual([]);
      });

      it('lists by custom variable and by uploader', async () => {
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '42' } }))).toEqual(['r4', 'r3', 'r1']);
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '4' } }))).toEqual(['r6']);
        expect(ids(await store.list({ variable: { name: 'x:album', value: 'x' } }))).toEqual(['r3']);
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '42' }, bucket: 'photos', limit: 1 }))).toEqual(['r3']);
        expect(ids(await store.list({ uploader: 'alice' }))).toEqual(['r6', 'r3', 'r1']);
        expect(ids(await store.list({ uploader: 'alice', limit: 2 }))).toEqual(['r6', 'r3']);
      });

      it('refuses a prefix without a bucket and a limit that is not a positive integer', async () => {
        await expect(store.list({ prefix: 'users/' })).rejects.toThrow(/bucket/);
        await expect(store.list({ limit: 0 })).rejects.toThrow(/limit/);
      });
    });

    describe('recordOnce', () => {
      it('stores the first delivery and replays the stored record to a repeat, building once', async () => {
        let builds = 0;
        const input = { id: 'a', fingerprint, build: () => (builds++, uploadRecord({ id: 'a' })) };
        const first = await recordOnce(store, input, soon());
        const again = await recordOnce(store, { ...input, build: () => uploadRecord({ id: 'a', receivedAt: 'later' }) }, soon());
        expect(first).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
        expect(again).toEqual({ record: uploadRecord({ id: 'a' }), replayed: true });
        expect(builds).toBe(1);
        expect(await store.list({})).toEqual([uploadRecord({ id: 'a' })]);
      });

      it('refuses the same id with other signed content, complete or in progress', async () => {
        await recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) }, soon());
        const other = { id: 'a', fingerprint: fingerprintOf('other bytes'), build: () => uploadRecord({ id: 'a', size: 1 }) };
        await expect(recordOnce(store, other, soon())).rejects.toMatchObject({ code: 'IdempotencyConflict' });
        await store.claim(claimFor('b', Date.now() + 60_000), Date.now());
        await expect(recordOnce(store, { ...other, id: 'b' }, soon())).rejects.toMatchObject({ code: 'IdempotencyConflict' });
        expect(await store.list({})).toEqual([uploadRecord({ id: 'a' })]);
      });

      it('turns many concurrent duplicates into one record and one answer', async () => {
        let builds = 0;
        const input = { id: 'race', fingerprint, build: () => (builds++, uploadRecord({ id: 'race' })) };
        const results = await Promise.all(Array.from({ length: 25 }, () => recordOnce(store, input, soon())));
        expect(builds).toBe(1);
        expect(results.filter((result) => !result.replayed)).toHaveLength(1);
        for (const result of results) expect(result.record).toEqual(uploadRecord({ id: 'race' }));
        expect(ids(await store.list({}))).toEqual(['race']);
      });

      it('makes a concurrent duplicate wait for the first delivery and answer with its record', async () => {
        await store.claim(claimFor('a', Date.now() + 60_000, 'first'), Date.now());
        const waiting = recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a', size: 999 }) }, soon());
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect(await store.complete(complete(uploadRecord({ id: 'a' })), 'first')).toBe(true);
        expect(await waiting).toEqual({ record: uploadRecord({ id: 'a' }), replayed: true });
      });

      it('answers DeadlineExceeded, storing nothing, when the first delivery outlives the deadline', async () => {
        await store.claim(claimFor('a', Date.now() + 60_000, 'slow'), Date.now());
        const started = Date.now();
        const attempt = recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) }, { deadline: started + 300 });
        await expect(attempt).rejects.toMatchObject({ code: 'DeadlineExceeded' });
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(await store.list({})).toEqual([]);
        expect(await store.get('a')).toMatchObject({ claimToken: 'slow' });
      });

      it('takes over the claim of a delivery that crashed between claim and complete', async () => {
        const now = Date.now();
        await store.claim(claimFor('a', now - 10, 'crashed'), now - 4_000);
        const result = await recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) }, soon());
        expect(result).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
        expect(await store.get('a')).toEqual(complete(uploadRecord({ id: 'a' })));
      });

      it('waits for a live claim to expire and then takes it over', async () => {
        await store.claim(claimFor('a', Date.now() + 200, 'dying'), Date.now());
        const result = await recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) }, soon());
        expect(result.replayed).toBe(false);
        expect(ids(await store.list({}))).toEqual(['a']);
      });

      it('releases its claim when building the record fails, so a retry succeeds at once', async () => {
        const failing = { id: 'a', fingerprint, build: (): UploadRecord => { throw new Error('bad field'); } };
        await expect(recordOnce(store, failing, soon())).rejects.toThrow('bad field');
        expect(await store.get('a')).toBeUndefined();
        const result = await recordOnce(store, { ...failing, build: () => uploadRecord({ id: 'a' }) }, soon());
        expect(result.replayed).toBe(false);
      });

      it('refuses at once, writing nothing, when the deadline has already passed', async () => {
        const attempt = recordOnce(store, { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) }, { deadline: Date.now() - 1 });
        await expect(attempt).rejects.toBeInstanceOf(CallbackError);
        await expect(attempt).rejects.toMatchObject({ code: 'DeadlineExceeded' });
        expect(await store.get('a')).toBeUndefined();
      });
    });
  });
}

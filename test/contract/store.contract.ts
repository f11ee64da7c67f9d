import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GET_MANY_LIMIT, countUploads, getMany, type StoredUpload, type UploadStore } from '../../lib/store/port.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { fingerprintOf, recordWithin, storedUpload, uploadRecord } from '../support/upload-records.js';
import { CHECKPOINT_MAX_BYTES } from '../../lib/store/port.js';

export interface StoreContractOptions {
  /** Listing reads an eventually consistent index (Tablestore search): wait for it before asserting. */
  settle?: () => Promise<void>;
  /**
   * How a create can be cut off between its writes, so the suite can hold every store to "a failed
   * create leaves no record, or one every listing finds". `'one write'`: the store's create is a
   * single write (one put, one transaction), whole or nothing. Otherwise: open a second store over the
   * storage of the store `open` made last, whose `failAt`-th write request (from 1) and every later one
   * fails as a permission error would; `stop` ends whatever sits in between.
   */
  interruptWrites: 'one write' | ((failAt: number) => Promise<{ store: UploadStore; stop(): Promise<void> }>);
}

/**
 * The one suite every adapter passes: the port's one conditional write, which source wins, ticket
 * bindings, listing, and the answers `recordUpload` makes of them. `open` returns a store over fresh,
 * empty storage; the suite calls `init` and `close`.
 */
export function describeStoreContract(name: string, open: () => Promise<UploadStore>, options: StoreContractOptions): void {
  const settle = options.settle ?? (async () => {});
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
    const ids = (list: UploadRecord[]) => list.map((record) => record.id);
    const record = (upload: StoredUpload, ms?: number) => recordWithin(store, upload, ms);

    describe('getMany', () => {
      it('returns exactly the stored uploads among the ids asked for, the same as get', async () => {
        const first = storedUpload(uploadRecord({ id: 'many-1' }));
        const second = storedUpload(uploadRecord({ id: 'many-2', source: 'reconcile', vars: {} }), fingerprintOf('listed'));
        await store.create(first);
        await store.create(second);
        await store.bind({ key: 'ticket-many', value: 'many-1', expiresAt: Date.now() + 60_000 });
        const found = await getMany(store, ['many-2', 'absent', 'many-1', 'ticket-many', 'many-2']);
        expect([...found.keys()].sort()).toEqual(['many-1', 'many-2']);
        expect(found.get('many-1')).toEqual(first);
        expect(found.get('many-2')).toEqual(second);
        expect(await getMany(store, [])).toEqual(new Map());
      });

      it('asks about at most GET_MANY_LIMIT ids at once', async () => {
        const ids = Array.from({ length: GET_MANY_LIMIT }, (_, n) => `id-${n}`);
        expect((await getMany(store, ids)).size).toBe(0);
        await expect(getMany(store, [...ids, 'one-more'])).rejects.toThrow(RangeError);
      });
    });

    describe('checkpoints', () => {
      const checkpoints = () => {
        const { getCheckpoint, putCheckpoint } = store;
        if (!getCheckpoint || !putCheckpoint) throw new Error(`${store.description} keeps no checkpoints`);
        return { get: getCheckpoint.bind(store), put: putCheckpoint.bind(store) };
      };

      it('keeps the last value put under a name, apart from every other name, record and binding', async () => {
        const { get, put } = checkpoints();
        expect(await get('reconcile:a')).toBeUndefined();
        await put('reconcile:a', '{"after":"photos/1.jpg"}');
        await put('reconcile:b', 'other');
        await put('reconcile:a', '{"after":"photos/ünï ✓ 2.jpg"}');
        expect(await get('reconcile:a')).toBe('{"after":"photos/ünï ✓ 2.jpg"}');
        expect(await get('reconcile:b')).toBe('other');
        const large = 'x'.repeat(CHECKPOINT_MAX_BYTES);
        await put('reconcile:large', large);
        expect(await get('reconcile:large')).toBe(large);
        await settle();
        expect(await store.list({})).toEqual([]);
        expect(await store.get('reconcile:a')).toBeUndefined();
        expect(await store.bind({ key: 'reconcile:a', value: 'bound', expiresAt: Date.now() + 60_000 })).toBe('bound');
        expect(await get('reconcile:a')).toBe('{"after":"photos/ünï ✓ 2.jpg"}');
      });

      it('refuses a name or a value outside the port’s limits, storing nothing', async () => {
        const { get, put } = checkpoints();
        await expect(put('a name/with a slash', 'v')).rejects.toThrow(RangeError);
        await expect(put('n', 'x'.repeat(CHECKPOINT_MAX_BYTES + 1))).rejects.toThrow(RangeError);
        expect(await get('n')).toBeUndefined();
      });
    });

    describe('create', () => {
      it('stores an unknown id with one write and returns it exactly', async () => {
        const upload = storedUpload(uploadRecord({ id: 'a', object: 'dir/ünïcode ✓.jpg', vars: { 'x:uid': '42', 'x:note': 'a=b&c' } }));
        expect(await store.create(upload)).toEqual({ created: true });
        expect(await store.get('a')).toEqual(upload);
        expect(await store.get('unknown')).toBeUndefined();
      });

      it('keeps null fields and a record without image or vars exactly', async () => {
        const upload = storedUpload(
          uploadRecord({
            id: 'bare', etag: null, size: null, mimeType: null, crc64: null, contentMd5: null, operation: null,
            reqId: null, clientIp: null, vpcId: null, image: null, vars: {}, uploader: null,
          }),
        );
        await store.create(upload);
        expect(await store.get('bare')).toEqual(upload);
      });

      it('leaves a stored callback untouched and returns it to any later write', async () => {
        const first = storedUpload(uploadRecord({ id: 'a' }));
        await store.create(first);
        for (const source of ['callback', 'reconcile', 'event'] as const) {
          const later = storedUpload(uploadRecord({ id: 'a', source, size: 7, vars: {} }), fingerprintOf(source));
          expect(await store.create(later)).toEqual({ created: false, existing: first });
        }
        expect(await store.get('a')).toEqual(first);
      });

      it('lets a callback replace a record made from a listing or an event, and nothing else', async () => {
        for (const source of ['reconcile', 'event'] as const) {
          const id = `from-${source}`;
          const listed = storedUpload(uploadRecord({ id, source, vars: {}, uploader: null }), fingerprintOf(source));
          await store.create(listed);
          const other = storedUpload(uploadRecord({ id, source: source === 'event' ? 'reconcile' : 'event', vars: {} }), fingerprintOf('x'));
          expect(await store.create(other)).toEqual({ created: false, existing: listed });
          const callback = storedUpload(uploadRecord({ id, vars: { 'x:uid': '42' } }));
          expect(await store.create(callback)).toEqual({ created: true });
          expect(await store.get(id)).toEqual(callback);
          expect(await store.create(listed)).toEqual({ created: false, existing: callback });
        }
        await settle();
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '42' } })).sort()).toEqual(['from-event', 'from-reconcile']);
        expect(await store.list({ source: 'reconcile' })).toEqual([]);
      });

      it('initialises idempotently, keeping what is stored', async () => {
        await store.create(storedUpload(uploadRecord({ id: 'a' })));
        await store.init();
        expect((await store.get('a'))?.record.id).toBe('a');
      });
    });

    describe('a create cut off between its writes', () => {
      const upload = (n: number) =>
        storedUpload(uploadRecord({ id: `cut-${n}`, bucket: 'cut', object: `cut/${n}.jpg`, uploader: `cutter-${n}`, vars: { 'x:uid': `cut-${n}`, 'x:album': 'cut' } }));
      /** Which listings find `record`: every one that should, or none. */
      const listingsFinding = async (record: UploadRecord) => {
        const queries = {
          all: {},
          bucket: { bucket: record.bucket },
          prefix: { bucket: record.bucket, prefix: 'cut/' },
          uploader: { uploader: record.uploader! },
          source: { source: record.source },
          uid: { variable: { name: 'x:uid', value: record.vars['x:uid']! } },
          album: { variable: { name: 'x:album', value: 'cut' } },
        };
        const found: Record<string, boolean> = {};
        for (const [what, query] of Object.entries(queries)) found[what] = ids(await store.list(query)).includes(record.id);
        return found;
      };
      const everywhere = (yes: boolean) => ({ all: yes, bucket: yes, prefix: yes, uploader: yes, source: yes, uid: yes, album: yes });

      it('leaves no record, or one that every listing finds, and a redelivery completes it', async () => {
        const interrupt = options.interruptWrites;
        if (interrupt === 'one write') {
          // Nothing to cut: the one write lands whole. Its record is at once in every listing.
          const whole = upload(0);
          await record(whole);
          await settle();
          expect(await listingsFinding(whole.record)).toEqual(everywhere(true));
          return;
        }
        let interrupted = 0;
        for (let failAt = 1; failAt <= 10; failAt++) {
          const each = upload(failAt);
          const faulty = await interrupt(failAt);
          const outcome = await recordWithin(faulty.store, each).then(() => 'stored', (error: unknown) => error);
          await faulty.store.close();
          await faulty.stop();
          // The create made fewer writes than failAt: there is nothing later to cut.
          if (outcome === 'stored') break;
          interrupted++;
          expect(outcome).toMatchObject({ code: 'StoreUnavailable' });
          await settle();
          const stored = await store.get(each.record.id);
          expect(await listingsFinding(each.record), `write ${failAt} refused`).toEqual(everywhere(stored !== undefined));
          expect(await record(each)).toEqual({ record: each.record, replayed: stored !== undefined });
          await settle();
          expect(await listingsFinding(each.record), `write ${failAt} refused, then redelivered`).toEqual(everywhere(true));
        }
        expect(interrupted).toBeGreaterThan(0);
      });
    });

    describe('bind', () => {
      it('binds a key once and returns the first value to every later bind', async () => {
        const expiresAt = Date.now() + 60_000;
        expect(await store.bind({ key: 'ticket:1', value: 'first', expiresAt })).toBe('first');
        expect(await store.bind({ key: 'ticket:1', value: 'second', expiresAt })).toBe('first');
        expect(await store.bind({ key: 'ticket:2', value: 'second', expiresAt })).toBe('second');
        await settle();
        expect(await store.list({})).toEqual([]);
        expect(await store.get('ticket:1')).toBeUndefined();
      });

      it('gives one value to many concurrent binds of one key', async () => {
        const values = await Promise.all(Array.from({ length: 10 }, (_, i) => store.bind({ key: 'ticket:race', value: `v${i}`, expiresAt: Date.now() + 60_000 })));
        expect(new Set(values).size).toBe(1);
      });
    });

    describe('list', () => {
      const at = (minute: number) => `2026-08-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
      const records = [
        uploadRecord({ id: 'r1', bucket: 'photos', object: 'users/42/a.jpg', receivedAt: at(1), vars: { 'x:uid': '42' }, uploader: 'alice' }),
        uploadRecord({ id: 'r2', bucket: 'photos', object: 'users/7/b.jpg', receivedAt: at(2), vars: { 'x:uid': '7' }, uploader: 'bob' }),
        uploadRecord({ id: 'r3', bucket: 'photos', object: 'users/42/c.jpg', receivedAt: at(3), vars: { 'x:uid': '42', 'x:album': 'x' }, uploader: 'alice' }),
        uploadRecord({ id: 'r4', bucket: 'docs', object: 'users/42/d.pdf', receivedAt: at(4), vars: { 'x:uid': '42' }, uploader: null }),
        uploadRecord({ id: 'r5', source: 'reconcile', bucket: 'photos', object: 'odd%_name/e.jpg', receivedAt: at(5), vars: {}, uploader: null }),
        // Same second as r3: the id orders them.
        uploadRecord({ id: 'r6', source: 'event', bucket: 'photos', object: 'oddXYname/f.jpg', receivedAt: at(3), vars: { 'x:uid': '4' }, uploader: 'alice' }),
      ];

      beforeEach(async () => {
        for (const each of records) await store.create(storedUpload(each));
        // A binding is not a record.
        await store.bind({ key: 'ticket:t', value: 'v', expiresAt: Date.now() + 60_000 });
        await settle();
      });

      it('lists records only, newest first', async () => {
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

      it('lists by custom variable, by uploader and by source', async () => {
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '42' } }))).toEqual(['r4', 'r3', 'r1']);
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '4' } }))).toEqual(['r6']);
        expect(ids(await store.list({ variable: { name: 'x:album', value: 'x' } }))).toEqual(['r3']);
        expect(ids(await store.list({ variable: { name: 'x:uid', value: '42' }, bucket: 'photos', limit: 1 }))).toEqual(['r3']);
        expect(ids(await store.list({ uploader: 'alice' }))).toEqual(['r6', 'r3', 'r1']);
        expect(ids(await store.list({ uploader: 'alice', limit: 2 }))).toEqual(['r6', 'r3']);
        expect(ids(await store.list({ source: 'reconcile' }))).toEqual(['r5']);
        expect(ids(await store.list({ source: 'event', bucket: 'photos' }))).toEqual(['r6']);
        expect(ids(await store.list({ source: 'callback', limit: 2 }))).toEqual(['r4', 'r3']);
      });

      it('refuses a prefix without a bucket, a limit that is not a positive integer and an unknown source', async () => {
        await expect(store.list({ prefix: 'users/' })).rejects.toThrow(/bucket/);
        await expect(store.list({ limit: 0 })).rejects.toThrow(/limit/);
        await expect(store.list({ source: 'guess' as never })).rejects.toThrow(/source/);
      });
    });

    describe('count', () => {
      const hour = (h: number, minute = '00:00.000') => `2026-08-01T0${h}:${minute}Z`;
      // Four periods of an hour: 00-01, 01-02 (nothing), 02-03, 03-04.
      const bounds = [0, 1, 2, 3, 4].map((h) => hour(h));
      const at = (id: string, source: UploadRecord['source'], receivedAt: string, more: Partial<UploadRecord> = {}) =>
        storedUpload(uploadRecord({ id, source, receivedAt, ...(source === 'callback' ? {} : { vars: {}, uploader: null }), ...more }), fingerprintOf(`${id} ${source}`));
      const none = { callback: 0, event: 0, reconcile: 0 };

      beforeEach(async () => {
        const uploads = [
          at('c1', 'callback', hour(0)), // on a bound: the period that starts there
          at('c2', 'callback', hour(0, '30:00.000')),
          at('e1', 'event', hour(0, '59:59.999')),
          at('r1', 'reconcile', hour(0, '10:00.000'), { bucket: 'docs' }),
          at('c3', 'callback', hour(2, '15:00.000'), { object: 'users/7/a.jpg' }),
          at('r2', 'reconcile', hour(2, '20:00.000'), { object: 'users/7/b.jpg' }),
          // An event's record its callback replaced in the same hour, and one replaced an hour later.
          at('e2', 'event', hour(2, '40:00.000')),
          at('e2', 'callback', hour(2, '41:00.000')),
          at('e3', 'event', hour(2, '50:00.000')),
          at('e3', 'callback', hour(3, '05:00.000')),
          at('c4', 'callback', hour(3, '59:59.999'), { bucket: 'docs' }),
          // Outside the periods: on the last bound, and just before the first.
          at('c5', 'callback', hour(4)),
          at('r3', 'reconcile', '2026-07-31T23:59:59.999Z'),
          at('c6', 'callback', hour(2, '30:00.000'), { object: 'users/7' }),
        ];
        for (const upload of uploads) await store.create(upload);
        await store.bind({ key: 'ticket:count', value: 'c1', expiresAt: Date.now() + 60_000 });
        await settle();
      });

      it('counts each period by source, a record once as the source it has now, empty periods as zeros', async () => {
        expect(await countUploads(store, { bounds })).toEqual([
          { callback: 2, event: 1, reconcile: 1 },
          none,
          { callback: 3, event: 0, reconcile: 1 },
          { callback: 2, event: 0, reconcile: 0 },
        ]);
        expect(await countUploads(store, { bounds: [hour(0), hour(4)] })).toEqual([{ callback: 7, event: 1, reconcile: 2 }]);
        expect(await countUploads(store, { bounds: ['2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z'] })).toEqual([none]);
      });

      it('counts a bucket, and a key prefix in it taken literally', async () => {
        expect(await countUploads(store, { bounds, bucket: 'photos' })).toEqual([
          { callback: 2, event: 1, reconcile: 0 },
          none,
          { callback: 3, event: 0, reconcile: 1 },
          { callback: 1, event: 0, reconcile: 0 },
        ]);
        expect(await countUploads(store, { bounds, bucket: 'photos', prefix: 'users/7/' })).toEqual([none, none, { callback: 1, event: 0, reconcile: 1 }, none]);
        expect(await countUploads(store, { bounds, bucket: 'docs' })).toEqual([{ callback: 0, event: 0, reconcile: 1 }, none, none, { callback: 1, event: 0, reconcile: 0 }]);
        expect(await countUploads(store, { bounds, bucket: 'none' })).toEqual([none, none, none, none]);
      });

      it('refuses bounds that are not ascending instants, and a prefix without a bucket', async () => {
        await expect(countUploads(store, { bounds: [hour(0)] })).rejects.toThrow(/two bounds/);
        await expect(countUploads(store, { bounds: [hour(1), hour(0)] })).rejects.toThrow(/ascend/);
        await expect(countUploads(store, { bounds: ['2026-08-01', hour(1)] })).rejects.toThrow(/toISOString/);
        await expect(countUploads(store, { bounds, prefix: 'users/' })).rejects.toThrow(/bucket/);
      });
    });

    describe('recordUpload', () => {
      it('stores the first delivery and replays the stored record to a repeat', async () => {
        const first = await record(storedUpload(uploadRecord({ id: 'a' })));
        const again = await record(storedUpload(uploadRecord({ id: 'a', receivedAt: 'later' })));
        expect(first).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
        expect(again).toEqual({ record: uploadRecord({ id: 'a' }), replayed: true });
        await settle();
        expect(await store.list({})).toEqual([uploadRecord({ id: 'a' })]);
      });

      it('refuses a reqId id with other signed content, and answers an ETag id with the first record', async () => {
        const byReqId = uploadRecord({ id: 'R1', etag: null });
        await record(storedUpload(byReqId));
        await expect(record(storedUpload({ ...byReqId, size: 1 }, fingerprintOf('other')))).rejects.toMatchObject({ code: 'IdempotencyConflict' });
        const byEtag = uploadRecord({ id: 'e' });
        await record(storedUpload(byEtag));
        const reupload = await record(storedUpload({ ...byEtag, reqId: 'R2', vars: {} }, fingerprintOf('again')));
        expect(reupload).toEqual({ record: byEtag, replayed: true });
        expect((await store.get('R1'))?.record).toEqual(byReqId);
      });

      it('answers a reconcile or an event with the record already there', async () => {
        const callback = uploadRecord({ id: 'a' });
        await record(storedUpload(callback));
        const listed = await record(storedUpload(uploadRecord({ id: 'a', source: 'reconcile', vars: {} }), fingerprintOf('listing')));
        expect(listed).toEqual({ record: callback, replayed: true });
      });

      it('turns many concurrent duplicates into one record, every delivery answered with it', async () => {
        const upload = storedUpload(uploadRecord({ id: 'race' }), fingerprint);
        const results = await Promise.all(Array.from({ length: 25 }, () => record(upload)));
        expect(results.filter((result) => !result.replayed)).toHaveLength(1);
        for (const result of results) expect(result.record).toEqual(upload.record);
        await settle();
        expect(ids(await store.list({}))).toEqual(['race']);
      });

      it('gives racing reconcilers one record and a racing callback the last word', async () => {
        const listed = (i: number) => storedUpload(uploadRecord({ id: 'u', source: 'reconcile', vars: {}, uploader: null, size: i }), fingerprintOf(`listing ${i}`));
        const callback = storedUpload(uploadRecord({ id: 'u' }));
        const results = await Promise.all([...Array.from({ length: 8 }, (_, i) => record(listed(i))), record(callback)]);
        expect(results.at(-1)).toEqual({ record: callback.record, replayed: false });
        expect(await store.get('u')).toEqual(callback);
      });

      it('refuses at once, writing nothing, when the deadline has already passed', async () => {
        await expect(record(storedUpload(uploadRecord({ id: 'a' })), -1)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
        expect(await store.get('a')).toBeUndefined();
      });
    });
  });
}

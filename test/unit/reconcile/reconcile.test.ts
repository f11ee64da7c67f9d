import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOssClient, type OssClient } from '../../../lib/oss/client.js';
import { ossLocation } from '../../../lib/oss/location.js';
import { checkpointName } from '../../../lib/reconcile/checkpoint.js';
import { reconcile, ReconcileFailure, type ReconcileOptions, type ReconcileSummary } from '../../../lib/reconcile/reconcile.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import type { UploadStore } from '../../../lib/store/port.js';
import { uploadId } from '../../../lib/store/upload-id.js';
import { listingXml, startFakeOss, type FakeObject, type FakeOss } from '../../support/fake-oss.js';
import { storedUpload, uploadRecord } from '../../support/upload-records.js';

/**
 * Reconcile against a fake bucket on loopback and the memory store, counting every request: keys as
 * OSS holds them, a wrong listing stopping the run with nothing recorded from it, one store read per
 * batch, runs that stop and resume from the store's checkpoint, and a dated prefix listing only the
 * folders its window touches.
 */
const BUCKET = 'fake-bucket';
const PAIR = { accessKeyId: 'LTAI-reconcile', accessKeySecret: 'secret' };
const NOW = Date.parse('2026-05-07T12:00:00Z');
const window = { from: new Date(NOW - 24 * 3_600_000), to: new Date(NOW) };

let fake: FakeOss;
let oss: OssClient;
let serial = 0;

beforeAll(async () => {
  fake = await startFakeOss();
  oss = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: fake.url }, { region: 'r', endpoint: 'e' }), credentials: () => PAIR, timeoutMs: 5_000 });
});
beforeEach(() => {
  fake.onList(undefined);
  fake.onHead(undefined);
});
afterAll(async () => {
  oss.close();
  await fake.close();
});

/** Objects under a fresh prefix of their own, modified an hour ago. */
function objects(count: number, name = 'objects', at = NOW - 3_600_000): FakeObject[] {
  const prefix = `${name}-${++serial}/`;
  const made = Array.from({ length: count }, (_, n) => ({ key: `${prefix}${String(n).padStart(6, '0')}.jpg`, etag: (serial * 1_000_000 + n).toString(16).padStart(32, '0').toUpperCase(), size: n, lastModified: at }));
  fake.put(...made);
  return made;
}
const prefixOf = (listed: FakeObject[]) => listed[0]!.key.slice(0, listed[0]!.key.lastIndexOf('/') + 1);
const idOf = (object: FakeObject) => uploadId({ bucket: BUCKET, object: object.key, etag: object.etag }, { facts: 'unused' });

/** The store, counting what reconcile asks of it. */
function counting(store: UploadStore) {
  const calls = { get: 0, getMany: 0, create: 0, getCheckpoint: 0, putCheckpoint: 0 };
  const wrapped: UploadStore = {
    description: store.description,
    get: (id, call) => (calls.get++, store.get(id, call)),
    create: (upload, call) => (calls.create++, store.create(upload, call)),
    list: (query) => store.list(query),
    bind: (binding) => store.bind(binding),
    init: () => store.init(),
    close: () => store.close(),
    ...(store.getMany && { getMany: (ids, call) => (calls.getMany++, store.getMany!(ids, call)) }),
    ...(store.getCheckpoint && { getCheckpoint: (name, call) => (calls.getCheckpoint++, store.getCheckpoint!(name, call)) }),
    ...(store.putCheckpoint && { putCheckpoint: (name, value, call) => (calls.putCheckpoint++, store.putCheckpoint!(name, value, call)) }),
  };
  return { store: wrapped, calls, requests: () => Object.values(calls).reduce((sum, count) => sum + count, 0) };
}

const run = (store: UploadStore, prefix: string, overrides: Partial<ReconcileOptions> = {}) =>
  reconcile({ store, oss, bucket: BUCKET, prefix, ...window, checkpoint: checkpointName({ bucket: BUCKET, prefix, sinceMs: 1, graceMs: 0, folderLagMs: 0 }), ...overrides });

describe('every key as OSS holds it', () => {
  it('records keys with control characters, \\r, + and % under exactly those keys; gone means HeadObject of the exact key said 404', async () => {
    const keys = ['odd/ctl\x01char.txt', 'odd/cr\rkey.txt', 'odd/plus+and space.txt', 'odd/100%.txt', 'odd/deleted.txt'];
    fake.put(...keys.map((key, n) => ({ key, etag: `${n}`.repeat(32), size: n, lastModified: NOW - 60_000 })));
    fake.onHead((key) => (key === 'odd/deleted.txt' ? { status: 404 } : undefined));
    const store = new MemoryStore();
    const summary = await run(store, 'odd/');
    expect(summary).toMatchObject({ listed: 5, recorded: 4, gone: 1, failed: 0, complete: true });
    expect((await store.list({})).map((record) => record.object).sort()).toEqual(keys.slice(0, 4).sort());
  });
});

describe('a listing that is wrong stops the run', () => {
  it('settles the good pages, records nothing from the wrong one, names it, and keeps the place before it', async () => {
    const listed = objects(6, 'wrong');
    const prefix = prefixOf(listed);
    fake.onList((request) => {
      const page = (from: number, more: boolean, edit = (xml: string) => xml) => ({
        body: edit(listingXml({ prefix: request.prefix, maxKeys: request.maxKeys, urlEncoded: true, truncated: more, ...(more ? { nextToken: `t${from}` } : {}), objects: listed.slice(from, from + 2) })),
      });
      if (request.token === undefined) return page(0, true);
      if (request.token === 't0') return page(2, true);
      return page(4, false, (xml) => xml.replace('<KeyCount>2</KeyCount>', '<KeyCount>3</KeyCount>'));
    });
    const store = new MemoryStore();
    const summary = await run(store, prefix);
    expect(summary).toMatchObject({ listed: 4, recorded: 4, complete: false, left: { folder: prefix, after: listed[3]!.key, foldersAfter: 0 } });
    expect(summary.error).toMatch(/^the listing of bucket fake-bucket is wrong, so the run stopped there: OSS sent a listing cut short: KeyCount says 3 keys, the page holds 2$/);
    expect((await store.list({})).map((record) => record.object).sort()).toEqual(listed.slice(0, 4).map((object) => object.key));

    // Once OSS lists correctly again, the next run goes on from there.
    fake.onList(undefined);
    const queries = fake.seen.queries.length;
    expect(await run(store, prefix)).toMatchObject({ resumed: true, listed: 2, recorded: 2, complete: true });
    expect(new URLSearchParams(fake.seen.queries[queries]).get('start-after')).toBe(listed[3]!.key);
  });

  it('stops at a wrong first page, writing nothing, and names what was wrong', async () => {
    const listed = objects(2, 'first');
    fake.onList((request) => ({ body: listingXml({ prefix: request.prefix, maxKeys: 1000, urlEncoded: true, truncated: false, objects: listed }).replace('<ListBucketResult>', '<!DOCTYPE l [<!ENTITY x "y">]><ListBucketResult>') }));
    const store = new MemoryStore();
    const summary = await run(store, prefixOf(listed));
    expect(summary).toMatchObject({ listed: 0, recorded: 0, complete: false, left: { after: null } });
    expect(summary.error).toMatch(/a DOCTYPE/);
    expect(await store.list({})).toEqual([]);
  });

  it('counts and lists a key that cannot be read exactly as failed, never gone', async () => {
    const listed = objects(3, 'unreadable');
    fake.onList((request) => ({ body: listingXml({ prefix: request.prefix, maxKeys: 1000, urlEncoded: true, truncated: false, objects: listed }).replace(listed[1]!.key, `${prefixOf(listed)}a+b%FF`) }));
    const summary = await run(new MemoryStore(), prefixOf(listed));
    expect(summary).toMatchObject({ gone: 0, failed: 1, recorded: 0, complete: false, failures: [{ object: `${prefixOf(listed)}a+b%FF`, error: expect.stringMatching(/a Key that cannot be read exactly/) }] });
  });

  it('refuses to start, writing nothing, when OSS refuses the first request', async () => {
    fake.onList(() => ({ status: 403, headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>' }));
    const store = new MemoryStore();
    await expect(run(store, 'denied/')).rejects.toThrow(ReconcileFailure);
    await expect(run(store, 'denied/')).rejects.toThrow(/may not list bucket fake-bucket \(AccessDenied\)/);
    expect(await store.list({})).toEqual([]);
  });
});

describe('reads in batches', () => {
  it('asks the store once per 100 objects listed, and HeadObject only for objects no record holds', async () => {
    const listed = objects(3_000, 'batched');
    const prefix = prefixOf(listed);
    const first = counting(new MemoryStore());
    const head = fake.seen.head;
    const summary = await run(first.store, prefix);
    expect(summary).toMatchObject({ listed: 3_000, recorded: 3_000, complete: true, uploads: { reconcile: 3_000, total: 3_000, coverage: 0 } });
    expect(fake.seen.head - head).toBe(3_000);
    expect(first.calls).toMatchObject({ get: 0, getMany: 30, create: 3_000 });

    const heads = fake.seen.head;
    const lists = fake.seen.list;
    const again = await run(first.store, prefix);
    expect(again).toMatchObject({ listed: 3_000, alreadyRecorded: 3_000, recorded: 0, complete: true });
    expect(fake.seen.head - heads).toBe(0);
    expect(fake.seen.list - lists).toBe(3);
    // 30 batch reads, the checkpoint read and the checkpoint of the finished pass: far under one per 20 objects.
    expect(first.requests() - 3_000 - 30 - 2).toBeLessThanOrEqual(3_000 / 20);
    expect(again.requests).toEqual({ list: 3, head: 0, storeReads: 31, storeWrites: 1 });
  });

  it('falls back to one get per object with a store that has no getMany', async () => {
    const listed = objects(5, 'no-batch');
    const memory = new MemoryStore();
    const { getMany: _, ...withoutGetMany } = counting(memory).store;
    const bare = counting(withoutGetMany as UploadStore);
    expect(await run(bare.store, prefixOf(listed))).toMatchObject({ recorded: 5, complete: true });
    expect(bare.calls).toMatchObject({ get: 5, getMany: 0 });
  });

  it('counts the uploads among the objects listed by the source of their record, as stats does', async () => {
    const listed = objects(4, 'sources');
    const store = new MemoryStore();
    await store.create(storedUpload(uploadRecord({ id: idOf(listed[0]!), bucket: BUCKET, object: listed[0]!.key, source: 'callback' })));
    await store.create(storedUpload(uploadRecord({ id: idOf(listed[1]!), bucket: BUCKET, object: listed[1]!.key, source: 'event', vars: {} })));
    const summary = await run(store, prefixOf(listed));
    expect(summary.uploads).toEqual({ callback: 1, event: 1, reconcile: 2, total: 4, coverage: 0.25 });
  });
});

describe('runs that always end and resume', () => {
  it('stops cleanly when told to, keeps its place, and the next run with the same arguments goes on from it', async () => {
    const listed = objects(450, 'resume');
    const prefix = prefixOf(listed);
    const store = counting(new MemoryStore());
    const stop = new AbortController();
    const first = await run(store.store, prefix, {
      signal: stop.signal,
      onProgress: (progress) => {
        if (progress.recorded >= 150) stop.abort();
      },
    });
    expect(first).toMatchObject({ complete: false, resumed: false });
    expect(first.left!.after).not.toBeNull();
    const done = first.recorded;
    expect(first.recorded + first.unsettled).toBe(first.listed);

    const second = await run(store.store, prefix);
    expect(second).toMatchObject({ complete: true, resumed: true, from: first.from, to: first.to, failed: 0 });
    // Nothing before the place kept is listed again; what was unsettled is read again.
    expect(second.listed).toBe(listed.filter((object) => object.key > first.left!.after!).length);
    expect((await store.store.list({})).length).toBe(450);
    expect(done + second.recorded).toBe(450);

    const third = await run(store.store, prefix);
    expect(third).toMatchObject({ resumed: false, complete: true, listed: 450, alreadyRecorded: 450 });
  });

  it('stops at stopAt however slow OSS is, and says what is left', async () => {
    const listed = objects(300, 'slow');
    const prefix = prefixOf(listed);
    fake.onHead(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 20)));
    const store = new MemoryStore();
    const heads = fake.seen.head;
    const summary = await run(store, prefix, { stopAt: Date.now() + 300 });
    expect(summary.complete).toBe(false);
    expect(summary.recorded).toBeLessThan(300);
    // The place kept is where every object before it was settled: the start, if no batch was.
    expect(summary.left).toMatchObject({ folder: prefix, foldersAfter: 0 });
    // It did not go on reading every object after the stop.
    expect(fake.seen.head - heads).toBeLessThan(300);
    fake.onHead(undefined);
    const rest = await run(store, prefix);
    expect(rest).toMatchObject({ resumed: true, complete: true });
    expect((await store.list({})).length).toBe(300);
  });

  it('holds its place at an object that failed, so the next run tries it again', async () => {
    const listed = objects(250, 'held');
    const prefix = prefixOf(listed);
    const broken = listed[120]!.key;
    const error = Buffer.from('<Error><Code>InternalError</Code><Message>try again</Message></Error>').toString('base64');
    fake.onHead((key) => (key === broken ? { status: 500, headers: { 'x-oss-err': error } } : undefined));
    const store = new MemoryStore();
    const first = await run(store, prefix);
    expect(first).toMatchObject({ failed: 1, recorded: 249, complete: false, failures: [{ object: broken, error: expect.stringMatching(/500 InternalError: try again/) }] });
    expect(first.left!.after! < broken).toBe(true);
    fake.onHead(undefined);
    const second = await run(store, prefix);
    expect(second).toMatchObject({ resumed: true, failed: 0, recorded: 1, complete: true });
  });

  it('stops when the store stops answering, keeping the place of what it settled', async () => {
    const listed = objects(300, 'store-down');
    const memory = new MemoryStore();
    let reads = 0;
    const failing: UploadStore = {
      ...counting(memory).store,
      getMany: (ids) => (++reads === 2 ? Promise.reject(new Error('connection refused')) : memory.getMany(ids)),
    };
    const summary = await run(failing, prefixOf(listed));
    expect(summary).toMatchObject({ recorded: 100, complete: false, left: { after: listed[99]!.key } });
    expect(summary.error).toMatch(/^the store memory: stopped answering: the store could not read the upload records: connection refused/);
  });

  it('starts the pass after one that took several runs no later than that pass’s end', async () => {
    const listed = objects(150, 'carry');
    const prefix = prefixOf(listed);
    const store = new MemoryStore();
    const stop = new AbortController();
    await run(store, prefix, { signal: stop.signal, onProgress: (progress) => void (progress.recorded >= 20 && stop.abort()) });
    const finished = await run(store, prefix);
    expect(finished).toMatchObject({ resumed: true, complete: true });
    const later = { from: new Date(NOW + 10 * 3_600_000), to: new Date(NOW + 12 * 3_600_000) };
    expect(await run(store, prefix, later)).toMatchObject({ from: finished.to, to: later.to.toISOString() });
    // A pass done in one run carries nothing over.
    expect(await run(store, prefix, later)).toMatchObject({ from: later.from.toISOString() });
  });

  it('keeps no place in a dry run, and writes nothing', async () => {
    const listed = objects(3, 'dry');
    const store = counting(new MemoryStore());
    expect(await run(store.store, prefixOf(listed), { dryRun: true })).toMatchObject({ recorded: 3, complete: true, requests: { storeWrites: 0 } });
    expect(store.calls).toMatchObject({ create: 0, putCheckpoint: 0, getCheckpoint: 0 });
  });
});

describe('a cost that follows the window', () => {
  it('lists only the folders of a dated prefix the window touches, the folder lag included', async () => {
    const day = 86_400_000;
    const dated = [0, 1, 2, 3, 4, 5].map((daysAgo) => {
      const date = new Date(NOW - daysAgo * day);
      const folder = `dated/${date.toISOString().slice(0, 10).replace(/-/g, '/')}/`;
      return { key: `${folder}photo.jpg`, etag: `${daysAgo}`.repeat(32), size: 1, lastModified: NOW - daysAgo * day - 60_000 };
    });
    // Written after midnight into the folder of the day before, as an upload whose form was issued at 23:50 is.
    dated.push({ key: 'dated/2026/05/04/late.jpg', etag: 'A'.repeat(32), size: 1, lastModified: Date.parse('2026-05-05T00:40:00Z') });
    fake.put(...dated);
    const queries = fake.seen.queries.length;
    const from = new Date('2026-05-05T00:30:00Z');
    const summary = await run(new MemoryStore(), 'dated/{yyyy}/{mm}/{dd}/', { from, to: new Date(NOW), folderLagMs: 3_600_000 });
    const prefixes = fake.seen.queries.slice(queries).map((query) => new URLSearchParams(query).get('prefix'));
    expect(prefixes).toEqual(['dated/2026/05/04/', 'dated/2026/05/05/', 'dated/2026/05/06/', 'dated/2026/05/07/']);
    expect(summary).toMatchObject({ folders: 4, listed: 4, recorded: 4, complete: true });
  });
});

describe('the summary', () => {
  it('is one JSON value with nothing a store or OSS could not keep', async () => {
    const listed = objects(2, 'summary');
    const summary: ReconcileSummary = await run(new MemoryStore(), prefixOf(listed));
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

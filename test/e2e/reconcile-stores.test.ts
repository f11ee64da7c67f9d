import OSS from 'ali-oss';
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOssClient, type OssClient } from '../../lib/oss/client.js';
import { ossLocation } from '../../lib/oss/location.js';
import { recordOssEvents } from '../../lib/reconcile/record-events.js';
import { reconcile, type ReconcileOptions } from '../../lib/reconcile/reconcile.js';
import { openDynamoDbStore } from '../../lib/store/dynamodb.js';
import { MemoryStore } from '../../lib/store/memory.js';
import type { UploadStore } from '../../lib/store/port.js';
import { openSqliteStore } from '../../lib/store/sqlite.js';
import { openTablestoreStore } from '../../lib/store/tablestore.js';
import { uploadId } from '../../lib/store/upload-id.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { dynamoClientConfig, startDynalite, freshTableName, type Dynalite } from '../support/dynalite.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startTablestoreServer, type TablestoreServer } from '../support/tablestore-server.js';
import { tempDir } from '../support/temp-dir.js';
import { recordWithin, storedUpload, uploadRecord } from '../support/upload-records.js';

/**
 * Reconciliation through every store, against the simulator: what a callback recorded stays as it
 * is, the rest is recorded once however many reconcilers run, an event's or a listing's record gives
 * way to the callback for the same upload, and nothing gives way to a callback's.
 */
const BUCKET = 'reconcile-bucket';
const TABLESTORE_CREDENTIALS = { accessKeyId: 'ts-key', accessKeySecret: 'ts-secret' };
const OSS_PAIR = { accessKeyId: 'LTAI-reconcile', accessKeySecret: 'reconcile-secret' };

const dir = tempDir('oss-reconcile-stores-');
let sim: Simulator;
let uploader: OSS;
let oss: OssClient;
let dynalite: Dynalite;
/** In front of dynalite, counting DynamoDB's requests as AWS would bill them. */
let dynamoProxy: FaultProxy;
let tablestore: TablestoreServer;

const etagOf = (content: string) => createHash('md5').update(content).digest('hex').toUpperCase();

beforeAll(async () => {
  sim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, credentials: OSS_PAIR });
  uploader = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, ...OSS_PAIR });
  oss = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: sim.url }, { region: 'r', endpoint: 'e' }), credentials: () => OSS_PAIR });
  dynalite = await startDynalite();
  dynamoProxy = await startFaultProxy(dynalite.endpoint);
  tablestore = await startTablestoreServer({ instance: 'reconcile', credentials: [TABLESTORE_CREDENTIALS] });
});

afterAll(async () => {
  oss?.close();
  await dynamoProxy?.stop();
  await Promise.all([sim?.close(), dynalite?.stop(), tablestore?.close()]);
});

const stores: [string, () => Promise<UploadStore>][] = [
  ['memory', async () => new MemoryStore()],
  ['sqlite', async () => openSqliteStore(join(dir, `${randomUUID()}.db`))],
  ['dynamodb (dynalite)', async () => openDynamoDbStore(freshTableName(), { clientConfig: dynamoClientConfig(dynamoProxy.endpoint) })],
  ['tablestore (wire server)', () => openTablestoreStore('reconcile', `t${randomUUID().slice(0, 8)}`, { endpoint: tablestore.endpoint, aliyunCredentials: () => TABLESTORE_CREDENTIALS })],
];

/** Uploads under a prefix of their own: `count` objects, no callback. */
async function upload(prefix: string, count: number): Promise<{ key: string; content: string }[]> {
  const objects = Array.from({ length: count }, (_, i) => ({ key: `${prefix}/${i}.txt`, content: `${prefix} ${i}` }));
  for (const { key, content } of objects) await uploader.put(key, Buffer.from(content), { headers: { 'x-oss-meta-batch': prefix } } as OSS.PutObjectOptions);
  return objects;
}

/** The callback's record of an uploaded object, as the receiver makes it (an ETag id, custom variables). */
function callbackUpload(key: string, content: string) {
  const etag = etagOf(content);
  return storedUpload(
    uploadRecord({ id: uploadId({ bucket: BUCKET, object: key, etag }, { facts: 'unused' }), bucket: BUCKET, object: key, etag, size: content.length, vars: { 'x:uid': '42' } }),
    createHash('sha256').update(`signed ${key}`).digest('hex'),
  );
}

const idOf = (key: string, content: string) => uploadId({ bucket: BUCKET, object: key, etag: etagOf(content) }, { facts: 'unused' });

function run(store: UploadStore, prefix: string, overrides: Partial<ReconcileOptions> = {}) {
  const now = Date.now();
  return reconcile({ store, oss, bucket: BUCKET, prefix: `${prefix}/`, from: new Date(now - 3_600_000), to: new Date(now + 60_000), ...overrides });
}

describe.each(stores)('reconcile through the %s store', (_, open) => {
  let store: UploadStore;
  beforeAll(async () => {
    store = await open();
    await store.init();
  });
  afterAll(async () => store?.close());

  it('records exactly the uploads no callback recorded, leaves the callback records as they are, and adds nothing the second time', async () => {
    const prefix = `missed-${randomUUID().slice(0, 6)}`;
    const objects = await upload(prefix, 5);
    const called = objects.slice(0, 2).map(({ key, content }) => callbackUpload(key, content));
    for (const callback of called) await recordWithin(store, callback);

    expect(await run(store, prefix)).toMatchObject({ listed: 5, alreadyRecorded: 2, recorded: 3, gone: 0, failed: 0 });
    for (const callback of called) expect(await store.get(callback.record.id)).toEqual(callback);
    for (const { key, content } of objects.slice(2)) {
      const stored = await store.get(idOf(key, content));
      expect(stored?.record).toMatchObject({
        source: 'reconcile',
        bucket: BUCKET,
        object: key,
        etag: etagOf(content),
        size: content.length,
        mimeType: 'text/plain',
        crc64: expect.stringMatching(/^\d+$/),
        contentMd5: createHash('md5').update(content).digest('base64'),
        lastModified: expect.stringMatching(/Z$/),
        metadata: { batch: prefix },
        vars: {},
        uploader: null,
        reqId: null,
      });
    }
    expect(await run(store, prefix)).toMatchObject({ listed: 5, alreadyRecorded: 5, recorded: 0, failed: 0 });
  });

  it('reads in batches: a second run asks the store at most once per 20 objects listed, and OSS for no HeadObject', async (test) => {
    // Each store's batched read comes with its own change (SQLite IN, DynamoDB BatchGetItem, Tablestore BatchGetRow).
    if (!store.getMany) test.skip();
    const prefix = `batched-${randomUUID().slice(0, 6)}`;
    await upload(prefix, 240);
    expect(await run(store, prefix)).toMatchObject({ listed: 240, recorded: 240, complete: true });
    const calls = { reads: 0, writes: 0 };
    const counted: UploadStore = {
      description: store.description,
      create: store.create.bind(store),
      get: (id, call) => (calls.reads++, store.get(id, call)),
      getMany: (ids, call) => (calls.reads++, store.getMany!(ids, call)),
      list: store.list.bind(store),
      bind: store.bind.bind(store),
      init: store.init.bind(store),
      close: store.close.bind(store),
    };
    const dynamoBefore = dynamoProxy.total();
    const second = await run(counted, prefix);
    expect(second).toMatchObject({ listed: 240, alreadyRecorded: 240, recorded: 0, requests: { head: 0 } });
    expect(calls.reads).toBeLessThanOrEqual(240 / 20);
    if (store.description.startsWith('dynamodb:')) expect(dynamoProxy.total() - dynamoBefore).toBeLessThanOrEqual(240 / 20);
  });

  it('writes one record per upload when three reconcilers run at once', async () => {
    const prefix = `race-${randomUUID().slice(0, 6)}`;
    const objects = await upload(prefix, 6);
    const summaries = await Promise.all([1, 2, 3].map(() => run(store, prefix, { concurrency: 2 })));
    expect(summaries.reduce((sum, summary) => sum + summary.recorded, 0)).toBe(6);
    for (const summary of summaries) expect(summary).toMatchObject({ listed: 6, failed: 0, recorded: 6 - summary.alreadyRecorded });
    for (const { key, content } of objects) expect((await store.get(idOf(key, content)))?.record.source).toBe('reconcile');
  });

  it('gives way to the callback for the same upload, whether the listing or the event came first; nothing replaces the callback’s record', async () => {
    const prefix = `order-${randomUUID().slice(0, 6)}`;
    const [listed, evented, calledFirst] = await upload(prefix, 3);
    expect(await run(store, prefix, { prefix: `${listed!.key}` })).toMatchObject({ recorded: 1 });
    const event = { events: [objectCreated(evented!.key, evented!.content)] };
    expect(await recordOssEvents(store, event)).toEqual([expect.objectContaining({ outcome: 'recorded' })]);
    expect((await store.get(idOf(evented!.key, evented!.content)))?.record).toMatchObject({ source: 'event', reqId: 'EVENTREQ0001', operation: 'PutObject' });

    for (const { key, content } of [listed!, evented!]) {
      const callback = callbackUpload(key, content);
      expect(await recordWithin(store, callback)).toEqual({ record: callback.record, replayed: false });
      expect(await store.get(callback.record.id)).toEqual(callback);
    }

    const callback = callbackUpload(calledFirst!.key, calledFirst!.content);
    await recordWithin(store, callback);
    expect(await recordOssEvents(store, { events: [objectCreated(calledFirst!.key, calledFirst!.content)] })).toEqual([expect.objectContaining({ outcome: 'already recorded' })]);
    expect(await recordOssEvents(store, event)).toEqual([expect.objectContaining({ outcome: 'already recorded' })]);
    expect(await run(store, prefix)).toMatchObject({ listed: 3, alreadyRecorded: 3, recorded: 0 });
    expect(await store.get(callback.record.id)).toEqual(callback);
  });
});

function objectCreated(key: string, content: string) {
  return {
    eventName: 'ObjectCreated:PutObject',
    eventSource: 'acs:oss',
    eventTime: new Date().toISOString(),
    eventVersion: '1.0',
    oss: { bucket: { name: BUCKET, arn: `acs:oss:cn-hangzhou:1:${BUCKET}` }, object: { key, eTag: etagOf(content), size: content.length, deltaSize: content.length } },
    region: 'cn-hangzhou',
    requestParameters: { sourceIPAddress: '203.0.113.7' },
    responseElements: { requestId: 'EVENTREQ0001' },
  };
}

describe('reconcile, whatever the store', () => {
  it('skips objects outside the window, and writes nothing with dryRun', async () => {
    const store = new MemoryStore();
    const prefix = `window-${randomUUID().slice(0, 6)}`;
    await upload(prefix, 2);
    expect(await run(store, prefix, { to: new Date(Date.now() - 60_000) })).toMatchObject({ listed: 0, recorded: 0 });
    expect(await run(store, prefix, { dryRun: true })).toMatchObject({ dryRun: true, listed: 2, recorded: 2 });
    expect(await store.list({})).toEqual([]);
  });

  it('counts an object deleted or replaced between the listing and HeadObject as gone, and records nothing for it', async () => {
    const prefix = `gone-${randomUUID().slice(0, 6)}`;
    const [deleted, replaced] = await upload(prefix, 2);
    const racing: OssClient = {
      location: oss.location,
      close: () => undefined,
      async send(request) {
        if (request.method === 'HEAD' && request.key === deleted!.key) await uploader.delete(deleted!.key);
        if (request.method === 'HEAD' && request.key === replaced!.key) await uploader.put(replaced!.key, Buffer.from('another upload'));
        return oss.send(request);
      },
    };
    const store = new MemoryStore();
    expect(await run(store, prefix, { oss: racing })).toMatchObject({ listed: 2, gone: 2, recorded: 0, failed: 0 });
    expect(await store.list({})).toEqual([]);
  });

  it('reports the objects it could not settle and goes on with the rest', async () => {
    const prefix = `fail-${randomUUID().slice(0, 6)}`;
    const [broken] = await upload(prefix, 3);
    const failing: OssClient = {
      location: oss.location,
      close: () => undefined,
      send: (request) => (request.key === broken!.key ? Promise.reject(new Error('connection reset')) : oss.send(request)),
    };
    const summary = await run(new MemoryStore(), prefix, { oss: failing });
    expect(summary).toMatchObject({ listed: 3, recorded: 2, failed: 1, failures: [{ object: broken!.key, error: 'connection reset' }] });
  });
});

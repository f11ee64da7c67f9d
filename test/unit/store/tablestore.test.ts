import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import TableStore from 'tablestore';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AliyunCredentials } from '../../../lib/credentials.js';
import type { UploadStore } from '../../../lib/store/port.js';
import type { UploadRecord } from '../../../lib/store/record.js';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { LIST_INDEX, LIST_INDEX_FIELDS } from '../../../lib/store/tablestore-admin.js';
import { Comparator, RowExistence, TablestoreClient, TablestoreError, type Cells, type Condition } from '../../../lib/store/tablestore-client.js';
import { tablestoreSdkClients } from '../../../lib/store/tablestore-sdk-client.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { documentedError } from '../../support/tablestore-errors.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';
import { tempDir } from '../../support/temp-dir.js';
import { fingerprintOf, recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';
import esbuildOptions from '../../../scripts/esbuild-options.cjs';

const INSTANCE = 'test-instance';
const KEYS = { accessKeyId: 'key-one', accessKeySecret: 'secret-one' };
const ROTATED = { accessKeyId: 'key-two', accessKeySecret: 'secret-two' };
const STS = { accessKeyId: 'STS.key', accessKeySecret: 'sts-secret', securityToken: 'sts-token' };
/** The test server's search index trails its tables by this much, as Tablestore's do by seconds. */
const INDEX_LAG_MS = 25;
const settle = () => sleep(2 * INDEX_LAG_MS);
const bundleDir = tempDir('oss-callback-tablestore-');

describe('Tablestore over the wire-protocol test server', () => {
  let server: TablestoreServer;
  let tableCount = 0;
  const freshTable = () => `uploads_${++tableCount}`;
  const open = (table = freshTable(), credentials: () => typeof KEYS | undefined = () => KEYS) =>
    openTablestoreStore(INSTANCE, table, { endpoint: server.endpoint, aliyunCredentials: credentials });
  /** The operations the server received while `work` ran. */
  const operations = async (work: () => Promise<unknown>) => {
    const before = server.calls.length;
    await work();
    return server.calls.slice(before).map((call) => call.operation);
  };

  beforeAll(async () => {
    server = await startTablestoreServer({ instance: INSTANCE, credentials: [KEYS, ROTATED, STS], indexLagMs: INDEX_LAG_MS });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    server.clearFaults();
    expect(server.indexingErrors).toEqual([]);
  });

  describeStoreContract('tablestore', () => open(), { settle, interruptWrites: 'one write' });

  /** Our own client against the server, signing with `credentials`; closed after each test. */
  const clients: TablestoreClient[] = [];
  const clientWith = (credentials: () => AliyunCredentials) => {
    const client = new TablestoreClient({ endpoint: server.endpoint, instance: INSTANCE, credentials });
    clients.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  describe('Class: TablestoreClient', () => {
    beforeAll(async () => {
      const store = await open('client');
      await store.init();
      await store.close();
    });
    const missing = { tableName: 'client', primaryKey: { id: 'none' } };

    it("reports Tablestore's error code and message, where the bare SDK reports only the HTTP status", async () => {
      // Prepare: the same refused write through the SDK as shipped and through our client.
      const condition = new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null);
      const bare = new TableStore.Client({ accessKeyId: KEYS.accessKeyId, secretAccessKey: KEYS.accessKeySecret, endpoint: server.endpoint, instancename: INSTANCE, maxRetries: 0 });
      // Act
      const bareError = await new Promise((resolve) => bare.putRow({ tableName: 'client', primaryKey: [{ id: 'none' }], attributeColumns: [], condition }, resolve));
      const ours = clientWith(() => KEYS).putRow({ ...missing, columns: {}, condition: { rowExistence: RowExistence.EXPECT_EXIST } });
      // Assess
      expect(bareError).toMatchObject({ code: 403 });
      await expect(ours).rejects.toBeInstanceOf(TablestoreError);
      await expect(ours).rejects.toMatchObject({ code: 'OTSConditionCheckFail', message: 'Condition check failed.', operation: 'PutRow', status: 403, requestId: expect.any(String) });
    });

    it('signs each request with the credentials the provider gives at that moment', async () => {
      let current: AliyunCredentials = KEYS;
      const client = clientWith(() => current);
      await client.getRow(missing);
      current = ROTATED;
      await client.getRow(missing);
      expect(server.calls.slice(-2)).toEqual([
        { operation: 'GetRow', accessKeyId: KEYS.accessKeyId },
        { operation: 'GetRow', accessKeyId: ROTATED.accessKeyId },
      ]);
    });

    it('signs with the STS token, which the server checks like the signature', async () => {
      expect(await clientWith(() => STS).getRow(missing)).toBeUndefined();
      await expect(clientWith(() => ({ ...STS, securityToken: 'stale' })).getRow(missing)).rejects.toMatchObject({ code: 'OTSAuthFailed', message: 'The security token is invalid.' });
      await expect(clientWith(() => ({ ...KEYS, accessKeySecret: 'wrong' })).getRow(missing)).rejects.toMatchObject({ code: 'OTSAuthFailed', message: 'Signature mismatch.' });
    });

    it('rejects with the signal reason as soon as the signal aborts, and sends nothing when it already has', async () => {
      const client = clientWith(() => KEYS);
      server.delayNext(1, 1_000);
      const reason = new Error('deadline');
      const started = Date.now();
      await expect(client.getRow(missing, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(500);
      const before = server.calls.length;
      await expect(client.getRow(missing, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(server.calls).toHaveLength(before);
    });

    it('reads many rows with one BatchGetRow, in the order asked, none where there is no row', async () => {
      const client = clientWith(() => KEYS);
      const columns = { text: 'é', count: 7n, flag: true, ratio: 0.5, blob: Buffer.from([0, 255]) };
      await client.putRow({ tableName: 'client', primaryKey: { id: 'many' }, columns, condition: { rowExistence: RowExistence.IGNORE } });
      const before = server.calls.length;
      const rows = await client.batchGetRow({ tableName: 'client', primaryKeys: [{ id: 'absent' }, { id: 'many' }] });
      expect(server.calls.slice(before).map((call) => call.operation)).toEqual(['BatchGetRow']);
      expect(rows).toEqual([undefined, { primaryKey: { id: 'many' }, columns }]);
      expect(await client.getRow({ tableName: 'client', primaryKey: { id: 'many' }, columnsToGet: ['count', 'flag'] })).toEqual({ primaryKey: { id: 'many' }, columns: { count: 7n, flag: true } });
    });
  });

  describe('the SDK side (store init, listing): time limits the SDK lacks', () => {
    it('fails a call whose server stays silent, and one that takes too long in all, with a code', async () => {
      const silent = tablestoreSdkClients(server.endpoint, INSTANCE, { silenceMs: 100, totalMs: 5_000 });
      const slow = tablestoreSdkClients(server.endpoint, INSTANCE, { silenceMs: 5_000, totalMs: 200 });
      try {
        server.delayNext(2, 1_000);
        const started = Date.now();
        await expect(silent.clientFor(KEYS).describeTable('client')).rejects.toMatchObject({
          name: 'TablestoreError',
          code: 'NetworkingError',
          message: 'Connection timed out after 100ms',
          operation: 'DescribeTable',
        });
        await expect(slow.clientFor(KEYS).listSearchIndexes('client')).rejects.toMatchObject({ name: 'TablestoreError', code: 'TotalTimeout', operation: 'ListSearchIndex' });
        expect(Date.now() - started).toBeLessThan(900);
      } finally {
        silent.close();
        slow.close();
      }
    });
  });

  describe("the test server's conditional PutRow, only as Tablestore documents it", () => {
    /** `source != 'callback'`, passing a missing column when `passIfMissing`. */
    const notACallback = (rowExistence: Condition['rowExistence'], passIfMissing: boolean): Condition => ({
      rowExistence,
      column: { column: 'source', comparator: Comparator.NOT_EQUAL, value: 'callback', passIfMissing, latestVersionOnly: true },
    });
    let client: TablestoreClient;
    beforeAll(async () => {
      const store = await open('conditions');
      await store.init();
      await store.close();
    });
    beforeEach(() => {
      client = clientWith(() => KEYS);
    });

    const put = (id: string, columns: Cells, condition: Condition) =>
      client.putRow({ tableName: 'conditions', primaryKey: { id }, columns, condition }).then(
        () => 'written',
        (error: TablestoreError) => error.code,
      );
    const columnsOf = async (id: string) => (await client.getRow({ tableName: 'conditions', primaryKey: { id } }))?.columns;

    it('checks row existence first: EXPECT_EXIST fails on no row, EXPECT_NOT_EXIST on any row, whatever it holds', async () => {
      expect(await put('absent', { source: 'reconcile' }, notACallback(RowExistence.EXPECT_EXIST, true))).toBe('OTSConditionCheckFail');
      expect(await columnsOf('absent')).toBeUndefined();
      expect(await put('new', { source: 'reconcile' }, { rowExistence: RowExistence.EXPECT_NOT_EXIST })).toBe('written');
      expect(await put('new', { source: 'event' }, { rowExistence: RowExistence.EXPECT_NOT_EXIST })).toBe('OTSConditionCheckFail');
      expect(await put('new', { source: 'event' }, notACallback(RowExistence.EXPECT_NOT_EXIST, true))).toBe('OTSConditionCheckFail');
      expect(await columnsOf('new')).toEqual({ source: 'reconcile' });
    });

    it('then the column condition over the cells of a row that exists: replaced whole when it passes, untouched when it fails', async () => {
      await put('listed', { source: 'reconcile', size: 'old' }, { rowExistence: RowExistence.IGNORE });
      expect(await put('listed', { source: 'callback' }, notACallback(RowExistence.EXPECT_EXIST, false))).toBe('written');
      expect(await columnsOf('listed')).toEqual({ source: 'callback' });
      expect(await put('listed', { source: 'callback', size: 'new' }, notACallback(RowExistence.EXPECT_EXIST, false))).toBe('OTSConditionCheckFail');
      expect(await columnsOf('listed')).toEqual({ source: 'callback' });
      // A row without the column: pass_if_missing decides.
      await put('no_source', { other: 'x' }, { rowExistence: RowExistence.IGNORE });
      expect(await put('no_source', { source: 'callback' }, notACallback(RowExistence.EXPECT_EXIST, false))).toBe('OTSConditionCheckFail');
      expect(await put('no_source', { source: 'callback' }, notACallback(RowExistence.EXPECT_EXIST, true))).toBe('written');
    });

    it('refuses to guess what a column condition does on a row that does not exist, through our client and the SDK alike', async () => {
      expect(await put('nothing', { source: 'callback' }, notACallback(RowExistence.IGNORE, true))).toBe('NotDocumentedByTablestore');
      expect(await put('nothing', { source: 'callback' }, notACallback(RowExistence.EXPECT_NOT_EXIST, true))).toBe('NotDocumentedByTablestore');
      const { Condition: SdkCondition, SingleColumnCondition, RowExistenceExpectation, ComparatorType } = TableStore;
      const sdkCondition = new SdkCondition(RowExistenceExpectation.IGNORE, new SingleColumnCondition('source', 'callback', ComparatorType.NOT_EQUAL, true, true));
      const bare = new TableStore.Client({ accessKeyId: KEYS.accessKeyId, secretAccessKey: KEYS.accessKeySecret, endpoint: server.endpoint, instancename: INSTANCE, maxRetries: 0 });
      const bareError = await new Promise((resolve) => bare.putRow({ tableName: 'conditions', primaryKey: [{ id: 'nothing' }], attributeColumns: [{ source: 'callback' }], condition: sdkCondition }, resolve));
      expect(bareError).toMatchObject({ code: 501 });
      expect(await columnsOf('nothing')).toBeUndefined();
    });
  });

  it('works bundled as the deployed functions are (ESM, hence strict mode), loading the SDK only to list', async () => {
    // Prepare: the adapter and recordUpload through the functions' own esbuild options, run in a
    // fresh process (this one already ran the SDK unbundled, which leaves its implicit globals behind).
    // The table is made here, so the bundle records and binds before anything loads the SDK.
    const setup = await open('bundled');
    await setup.init();
    await setup.close();
    const dir = bundleDir;
    await build({
      ...esbuildOptions.functionBuildOptions,
      stdin: {
        contents: `
          import { setTimeout as sleep } from 'node:timers/promises';
          import { createBudget } from './lib/deadline.ts';
          import { recordUpload } from './lib/store/record-upload.ts';
          import { openTablestoreStore } from './lib/store/tablestore.ts';
          const keys = { accessKeyId: '${KEYS.accessKeyId}', accessKeySecret: '${KEYS.accessKeySecret}' };
          const store = await openTablestoreStore('${INSTANCE}', 'bundled', { endpoint: process.argv[2], aliyunCredentials: () => keys });
          // What the SDK sets on load (tablestore-sdk-client.ts).
          const sdkGlobals = () => ['pro', 'sub', 'key', 'size'].filter((name) => name in globalThis);
          const record = { id: 'b', source: 'callback', bucket: 'b', object: 'k', etag: null, size: 1, mimeType: null, crc64: null, contentMd5: null,
            operation: null, reqId: 'b', clientIp: null, vpcId: null, image: null, vars: {}, uploader: null, receivedAt: 'now' };
          const deliver = async () => {
            const budget = createBudget(Date.now() + 3000);
            try {
              return await recordUpload(store, { record, fingerprint: 'f' }, budget);
            } finally {
              budget.dispose();
            }
          };
          const first = await deliver();
          const again = await deliver();
          const bound = await store.bind({ key: 'ticket:b', value: 'first', expiresAt: Date.now() + 60000 });
          const rebound = await store.bind({ key: 'ticket:b', value: 'second', expiresAt: Date.now() + 60000 });
          const beforeListing = sdkGlobals();
          await store.init();
          await sleep(${4 * INDEX_LAG_MS});
          const listed = (await store.list({ source: 'callback' })).length;
          console.log(JSON.stringify({ first: first.replayed, again: again.replayed, bound, rebound, beforeListing, listed, afterListing: sdkGlobals() }));
          await store.close();`,
        resolveDir: process.cwd(),
        loader: 'ts',
      },
      outdir: dir,
      entryNames: 'bundled-store',
      outExtension: { '.js': '.mjs' },
      logLevel: 'silent',
    });
    // Act
    const run = await promisify(execFile)(process.execPath, [join(dir, 'bundled-store.mjs'), server.endpoint]).catch((error: { stderr: string }) => ({
      stdout: '',
      // Node quotes the failing line of the minified bundle; the error and its cause are what matter.
      stderr: error.stderr.split('\n').filter((line) => line.length < 300).join('\n'),
    }));
    // Assess
    expect(JSON.parse(run.stdout || 'null'), run.stderr).toEqual({
      first: false,
      again: true,
      bound: 'first',
      rebound: 'first',
      beforeListing: [],
      listed: 1,
      afterListing: ['pro', 'sub', 'key', 'size'],
    });
  });

  describe('Function: openTablestoreStore', () => {
    let store: UploadStore;
    afterEach(async () => {
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
      await store?.close();
    });

    const fingerprint = fingerprintOf('signed bytes');
    const callback = (id: string, more: Partial<UploadRecord> = {}) => storedUpload(uploadRecord({ id, ...more }), fingerprint);
    const listing = (id: string) => storedUpload(uploadRecord({ id, source: 'reconcile', vars: {}, uploader: null }), fingerprintOf(`listing ${id}`));
    const ticket = (value: string) => ({ key: 'ticket:jti-1', value, expiresAt: Date.now() + 60_000 });
    const rawRow = async (table: string, id: string) => (await clientWith(() => KEYS).getRow({ tableName: table, primaryKey: { id } }))?.columns;

    it('describes itself without credentials and needs an endpoint and a table name Tablestore accepts', async () => {
      store = await open('described');
      expect(store.description).toBe(`tablestore:${INSTANCE}/described`);
      vi.stubEnv('TABLESTORE_ENDPOINT', undefined);
      await expect(openTablestoreStore(INSTANCE, 'uploads')).rejects.toThrow('set TABLESTORE_ENDPOINT');
      await expect(openTablestoreStore(INSTANCE, 'up-loads', { endpoint: server.endpoint })).rejects.toThrow('not a Tablestore table name');
    });

    it('creates the table and its listing index, says so, keeps them on the next init, and refuses a table keyed otherwise', async () => {
      store = await open('created');
      const lines: string[] = [];
      await store.init({ report: (line) => lines.push(line) });
      await store.init({ report: (line) => lines.push(line) });
      expect(lines).toEqual(['created table created', `created search index ${LIST_INDEX} on created`, `table created exists with its search index ${LIST_INDEX}`]);
      const clients = tablestoreSdkClients(server.endpoint, INSTANCE);
      const client = clients.clientFor(KEYS);
      expect(await client.describeTable('created')).toEqual({ primaryKey: [{ name: 'id', type: 2 }] });
      expect(await client.listSearchIndexes('created')).toEqual([LIST_INDEX]);
      expect(await client.describeSearchIndex('created', LIST_INDEX)).toEqual(LIST_INDEX_FIELDS.map(({ fieldName, fieldType }) => ({ fieldName, fieldType })));
      await client.createTable({ tableMeta: { tableName: 'keyed_otherwise', primaryKey: [{ name: 'key', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      clients.close();
      const other = await open('keyed_otherwise');
      await expect(other.init()).rejects.toThrow('exists with another primary key');
      await other.close();
    });

    it('refuses, naming the missing field and what to do, a listing index made before records had a source', async () => {
      // Prepare: the table and index as the claim-based version created them (`status` where `source` is now).
      const clients = tablestoreSdkClients(server.endpoint, INSTANCE);
      const client = clients.clientFor(KEYS);
      await client.createTable({ tableMeta: { tableName: 'earlier', primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      const earlierFields = LIST_INDEX_FIELDS.map((field) => (field.fieldName === 'source' ? { ...field, fieldName: 'status' } : field));
      await client.createSearchIndex({ tableName: 'earlier', indexName: LIST_INDEX, schema: { fieldSchemas: earlierFields } });
      clients.close();
      store = await open('earlier');
      // Act, Assess
      await expect(store.init()).rejects.toThrow(
        `the search index ${LIST_INDEX} on earlier lacks the field(s) source as listing needs them: it was made by an earlier version. Delete that index`,
      );
    });

    it('retries init while the new table is not ready or throttled', async () => {
      store = await open('slow_to_load');
      server.failNext(1, documentedError('OTSTableNotReady'));
      await store.init();
      server.failNext(2);
      await store.init();
      expect(await store.list({})).toEqual([]);
    });

    it("retries init through a 5xx, a lost answer or Tablestore's timeout on any of its calls, each a read or a create a repeat finds done", async () => {
      store = await open('flaky_init');
      server.failNext(1, documentedError('OTSServerUnavailable'));
      // The table is made, but the connection drops before its answer is whole.
      server.beforeNext('CreateTable', () => server.cutNextAnswer());
      expect(await operations(() => store.init())).toEqual(['DescribeTable', 'DescribeTable', 'CreateTable', 'DescribeTable', 'ListSearchIndex', 'CreateSearchIndex']);
      server.beforeNext('DescribeTable', () => server.failNext(1, documentedError('OTSTimeout')));
      expect(await operations(() => store.init())).toEqual(['DescribeTable', 'ListSearchIndex', 'DescribeTable', 'ListSearchIndex', 'DescribeSearchIndex']);
    });

    it('keeps the record as JSON (crc64 an exact string) beside the columns the index reads, and a binding apart', async () => {
      store = await open('layout');
      await store.init();
      const upload = callback('a', { size: 2 ** 40, crc64: '18446744073709551615', vars: { 'x:uid': '42' } });
      await store.create(upload);
      await store.bind(ticket('object-hash'));
      const row = await rawRow('layout', 'a');
      expect(row).toEqual({
        record: JSON.stringify(upload.record),
        fingerprint,
        source: 'callback',
        bucket: 'photos',
        object: 'users/42/cat.jpg',
        uploader: 'alice',
        vars: '["x:uid=42"]',
        receivedAt: upload.record.receivedAt,
      });
      expect(JSON.parse(String(row?.record))).toMatchObject({ crc64: '18446744073709551615', size: 2 ** 40 });
      const binding = await rawRow('layout', 'binding:ticket:jti-1');
      expect(binding).toMatchObject({ boundTo: 'object-hash' });
      expect(Object.keys(binding ?? {}).sort()).toEqual(['boundTo', 'expiresAt']);
      expect(await rawRow('layout', 'ticket:jti-1')).toBeUndefined();
      expect(await store.get('binding:ticket:jti-1')).toBeUndefined();
      await expect(store.create(callback('binding:ticket:jti-1'))).rejects.toThrow('is not an upload id');
    });

    it('writes with one PutRow, and reads one row back only when the write is refused', async () => {
      store = await open();
      await store.init();
      expect(await operations(() => store.create(callback('a')))).toEqual(['PutRow']);
      expect(await operations(() => store.create(callback('a')))).toEqual(['PutRow', 'GetRow']);
      expect(await operations(() => store.create(listing('a')))).toEqual(['PutRow', 'GetRow']);
      expect(await operations(() => store.create(listing('b')))).toEqual(['PutRow']);
      expect(await operations(() => store.create(listing('b')))).toEqual(['PutRow', 'GetRow']);
      // A callback over a listing's record: refused where nothing is, it reads the record and replaces
      // it under a condition on the row that is there.
      expect(await operations(() => store.create(callback('b')))).toEqual(['PutRow', 'GetRow', 'PutRow']);
      expect(await store.get('b')).toEqual(callback('b'));
      expect(await operations(() => store.bind(ticket('first')))).toEqual(['PutRow']);
      expect(await operations(() => store.bind(ticket('second')))).toEqual(['PutRow', 'GetRow']);
    });

    it('answers concurrent duplicate deliveries with one record: one PutRow each, one GetRow for each refused', async () => {
      store = await open();
      await store.init();
      let results: Awaited<ReturnType<typeof recordWithin>>[] = [];
      const sent = await operations(async () => {
        results = await Promise.all(Array.from({ length: 10 }, () => recordWithin(store, callback('race'))));
      });
      expect(results.filter((result) => !result.replayed)).toHaveLength(1);
      for (const result of results) expect(result.record).toEqual(callback('race').record);
      expect(sent.filter((operation) => operation === 'PutRow')).toHaveLength(10);
      expect(sent.filter((operation) => operation === 'GetRow')).toHaveLength(9);
      await settle();
      expect((await store.list({})).map((record) => record.id)).toEqual(['race']);
    });

    it('retries a write whose refusing row is gone when read back, and then stores the record', async () => {
      store = await open('vanishing');
      await store.init();
      await store.create(listing('v'));
      // Another client deletes the row between the refused PutRow and the GetRow.
      server.beforeNext('GetRow', () => server.deleteRow('vanishing', 'v'));
      let result: Awaited<ReturnType<typeof recordWithin>> | undefined;
      const sent = await operations(async () => {
        result = await recordWithin(store, listing('v'));
      });
      expect(sent).toEqual(['PutRow', 'GetRow', 'PutRow']);
      expect(result).toEqual({ record: listing('v').record, replayed: false });
    });

    it('keeps custom variable names with = and % apart from their values', async () => {
      store = await open();
      await store.init();
      const vars = { 'x:a=b': 'c', 'x:a': 'b=c', 'x:%3D': '%', '': '' };
      await store.create(callback('v', { vars }));
      await settle();
      expect((await store.list({ variable: { name: 'x:a', value: 'b=c' } })).map((record) => record.vars)).toEqual([vars]);
      expect(await store.list({ variable: { name: 'x:a=b', value: 'c' } })).toHaveLength(1);
      expect(await store.list({ variable: { name: 'x:a', value: 'b' } })).toEqual([]);
    });

    it('lists past one search page, newest first', async () => {
      store = await open();
      await store.init();
      const records = Array.from({ length: 130 }, (_, n) => uploadRecord({ id: `r${String(n).padStart(3, '0')}`, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString() }));
      for (const record of records) await store.create(storedUpload(record));
      await settle();
      let all: UploadRecord[] = [];
      const sent = await operations(async () => {
        all = await store.list({});
      });
      expect(sent).toEqual(['Search', 'Search']);
      expect(all.map((record) => record.id)).toEqual(records.map((record) => record.id).reverse());
      expect((await store.list({ limit: 101 })).map((record) => record.id)).toEqual(all.slice(0, 101).map((record) => record.id));
    });


    it('counts with one Search a period, whose groups count every row of the period, past a page of rows', async () => {
      store = await open();
      await store.init();
      // More rows than one search page in a period: the groups count them all.
      const records = Array.from({ length: 130 }, (_, n) =>
        uploadRecord({ id: `c${n}`, source: n % 10 === 0 ? 'event' : 'callback', receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString() }),
      );
      for (const record of records) await store.create(storedUpload(record));
      await settle();
      const bounds = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z', '2026-01-01T00:03:00.000Z'];
      let counts: unknown;
      const sent = await operations(async () => {
        counts = await store.count?.({ bounds });
      });
      expect(sent).toEqual(['Search', 'Search', 'Search']);
      expect(counts).toEqual([
        { callback: 54, event: 6, reconcile: 0 },
        { callback: 54, event: 6, reconcile: 0 },
        { callback: 9, event: 1, reconcile: 0 },
      ]);
    });
    it('signs each call with the credentials the provider gives at that moment, else the environment', async () => {
      let current: typeof KEYS | undefined = KEYS;
      store = await open('rotating', () => current);
      await store.init();
      await store.get('a');
      current = ROTATED;
      await store.get('a');
      current = undefined;
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', STS.accessKeyId);
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', STS.accessKeySecret);
      vi.stubEnv('ALIBABA_CLOUD_SECURITY_TOKEN', STS.securityToken);
      await store.get('a');
      expect(server.calls.slice(-3).map((call) => call.accessKeyId)).toEqual([KEYS.accessKeyId, ROTATED.accessKeyId, STS.accessKeyId]);
    });

    it('sends nothing and says why when there are no credentials at all', async () => {
      store = await open('no_credentials', () => undefined);
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', undefined);
      const before = server.calls.length;
      await expect(store.get('a')).rejects.toThrow('no Alibaba Cloud credentials');
      expect(server.calls).toHaveLength(before);
    });

    describe('faults', () => {
      /** The retry strategy's waits: the shortest (0) or the longest (0.99) jitter allows. */
      const jitter = (random: number) => vi.spyOn(Math, 'random').mockReturnValue(random);
      beforeEach(async () => {
        store = await open();
        await store.init();
      });

      it('sends a callback at most 4 PutRows against a table that throttles everything, then answers 503 with Tablestore\'s code in the cause', async () => {
        jitter(0);
        server.failNext(Number.POSITIVE_INFINITY);
        let refusal: unknown;
        const sent = await operations(async () => {
          refusal = await recordWithin(store, callback('a')).catch((error: unknown) => error);
        });
        expect(sent).toEqual(['PutRow', 'PutRow', 'PutRow', 'PutRow']);
        expect(refusal).toMatchObject({ code: 'StoreUnavailable', status: 503, cause: { name: 'TablestoreError', code: 'OTSServerBusy' } });
        server.clearFaults();
        expect(await store.get('a')).toBeUndefined();
      });

      it('lets every other error through untouched, with one request', async () => {
        const missing = await open('never_created');
        const sent = await operations(() => expect(missing.get('a')).rejects.toMatchObject({ name: 'TablestoreError', code: 'OTSObjectNotExist', message: 'Requested table does not exist.' }));
        expect(sent).toEqual(['GetRow']);
        await missing.close();
      });

      it('records once through throttled calls, retrying within the budget', async () => {
        jitter(0);
        server.failNext(3);
        const sent = await operations(async () => {
          expect(await recordWithin(store, callback('a'))).toEqual({ record: callback('a').record, replayed: false });
        });
        expect(sent).toEqual(['PutRow', 'PutRow', 'PutRow', 'PutRow']);
        await settle();
        expect(await store.list({})).toEqual([callback('a').record]);
      });

      it('reads back a write whose answer was cut off, and answers with the record it finds', async () => {
        server.cutNextAnswer();
        let result: Awaited<ReturnType<typeof recordWithin>> | undefined;
        const sent = await operations(async () => {
          result = await recordWithin(store, callback('a'));
        });
        expect(sent).toEqual(['PutRow', 'GetRow']);
        expect(result?.record).toEqual(callback('a').record);
        expect(await store.get('a')).toEqual(callback('a'));
      });

      it('answers 503 StoreUnavailable in time when the store is down, and stores nothing', async () => {
        // The longest backoff every time: the client begins no wait past the deadline.
        jitter(0.99);
        await server.stop();
        try {
          await expect(store.get('a')).rejects.toMatchObject({ name: 'TablestoreError', code: 'ECONNREFUSED' });
          const started = Date.now();
          await expect(recordWithin(store, callback('a'), 400)).rejects.toMatchObject({ code: 'StoreUnavailable', status: 503, cause: { code: 'ECONNREFUSED' } });
          expect(Date.now() - started).toBeLessThan(400);
        } finally {
          await server.start();
        }
        expect(await store.get('a')).toBeUndefined();
      });

      it('reads many ids with one BatchGetRow, asking again only for the rows Tablestore failed one by one', async () => {
        await store.create(callback('a'));
        await store.create(listing('b'));
        jitter(0);
        server.failRowsNext(2, documentedError('OTSPartitionUnavailable'));
        let found = new Map();
        const sent = await operations(async () => {
          found = await store.getMany!(['a', 'absent', 'b', 'a', 'binding:ticket:jti-1']);
        });
        expect(sent).toEqual(['BatchGetRow', 'BatchGetRow']);
        expect(found).toEqual(new Map([['a', callback('a')], ['b', listing('b')]]));
        server.failRowsNext(1, documentedError('OTSObjectNotExist'));
        const failed = await operations(() => expect(store.getMany!(['a', 'b'])).rejects.toMatchObject({ code: 'OTSObjectNotExist', operation: 'BatchGetRow' }));
        expect(failed).toEqual(['BatchGetRow']);
        expect(await operations(() => store.getMany!(['binding:x']))).toEqual([]);
      });

      it('answers DeadlineExceeded on time when a call hangs; the write lands later and a redelivery gets it', async () => {
        server.delayNext(1, 600);
        const started = Date.now();
        await expect(recordWithin(store, callback('a'), 300)).rejects.toMatchObject({ code: 'DeadlineExceeded', status: 503 });
        expect(Date.now() - started).toBeLessThan(450);
        // The held PutRow is the whole record, applied after the caller gave up.
        await sleep(400);
        expect(await store.get('a')).toEqual(callback('a'));
        expect(await recordWithin(store, callback('a'))).toEqual({ record: callback('a').record, replayed: true });
      });

      it('lets a redelivery record while the abandoned write still hangs; that write then finds the record and changes nothing', async () => {
        server.delayNext(1, 600);
        await expect(recordWithin(store, callback('a', { receivedAt: 'first delivery' }), 300)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
        expect(await recordWithin(store, callback('a'))).toEqual({ record: callback('a').record, replayed: false });
        await sleep(400);
        expect(await store.get('a')).toEqual(callback('a'));
        await settle();
        expect(await store.list({})).toEqual([callback('a').record]);
      });
    });
  });
});

/**
 * Against a real instance, when the environment names one: a throwaway table, created by `init` and
 * dropped afterwards. Listing waits for the search index, which trails the table by seconds.
 */
const LIVE = {
  endpoint: process.env.TABLESTORE_ENDPOINT,
  instance: process.env.TABLESTORE_INSTANCE,
  credentials: Boolean(process.env.ALIBABA_CLOUD_ACCESS_KEY_ID && process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET),
};

describe.runIf(LIVE.endpoint && LIVE.instance && LIVE.credentials)('live Tablestore (throwaway table)', { timeout: 120_000 }, () => {
  const instance = LIVE.instance as string;
  const table = `oss_callback_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const fingerprint = fingerprintOf('signed bytes');
  let store: UploadStore;

  beforeAll(async () => {
    store = await openTablestoreStore(instance, table);
    await store.init();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await dropTable(instance, table);
  }, 120_000);

  it('initialises idempotently, finding the index it made complete', async () => {
    const lines: string[] = [];
    await store.init({ report: (line) => lines.push(line) });
    expect(lines).toEqual([`table ${table} exists with its search index ${LIST_INDEX}`]);
  });

  it('creates a record once, exactly, and returns it to every later write', async () => {
    const upload = storedUpload(uploadRecord({ id: 'exact', object: 'dir/ünïcode ✓.jpg', vpcId: null, vars: { 'x:note': 'a=b&c' } }), fingerprint);
    expect(await store.create(upload)).toEqual({ created: true });
    expect(await store.create(storedUpload(uploadRecord({ id: 'exact', size: 1 }), fingerprintOf('other')))).toEqual({ created: false, existing: upload });
    expect(await store.create(storedUpload(uploadRecord({ id: 'exact', source: 'reconcile' }), fingerprintOf('listing')))).toEqual({ created: false, existing: upload });
    expect(await store.get('exact')).toEqual(upload);
  });

  it("lets a callback replace a listing's record (EXPECT_EXIST and a condition on source, as the store relies on), and nothing replace a callback's", async () => {
    const listed = storedUpload(uploadRecord({ id: 'listed', source: 'reconcile', vars: {} }), fingerprintOf('listing'));
    const callback = storedUpload(uploadRecord({ id: 'listed' }), fingerprint);
    expect(await store.create(listed)).toEqual({ created: true });
    expect(await store.create(storedUpload(uploadRecord({ id: 'listed', source: 'event' }), fingerprintOf('event')))).toEqual({ created: false, existing: listed });
    expect(await store.create(callback)).toEqual({ created: true });
    expect(await store.create(listed)).toEqual({ created: false, existing: callback });
    expect(await store.get('listed')).toEqual(callback);
  });

  it('binds a ticket once', async () => {
    const expiresAt = Date.now() + 60_000;
    expect(await store.bind({ key: 'ticket:live', value: 'first', expiresAt })).toBe('first');
    expect(await store.bind({ key: 'ticket:live', value: 'second', expiresAt })).toBe('first');
  });

  it('turns concurrent duplicates into one record', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => recordWithin(store, storedUpload(uploadRecord({ id: 'race' }), fingerprint), 4_000)));
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
  });

  it('lists by bucket and prefix, custom variable, uploader and source once the index catches up, never a binding', async () => {
    const record = uploadRecord({ id: 'listed-live', bucket: 'live-bucket', object: 'live/1.jpg', vars: { 'x:uid': 'live-7' }, uploader: 'live-user' });
    await recordWithin(store, storedUpload(record, fingerprint), 4_000);
    const ids = (records: UploadRecord[]) => records.map((each) => each.id);
    await vi.waitFor(async () => expect(ids(await store.list({ bucket: 'live-bucket', prefix: 'live/' }))).toEqual(['listed-live']), { timeout: 60_000, interval: 1_000 });
    expect(ids(await store.list({ variable: { name: 'x:uid', value: 'live-7' } }))).toEqual(['listed-live']);
    expect(ids(await store.list({ uploader: 'live-user' }))).toEqual(['listed-live']);
    expect(ids(await store.list({ source: 'callback', bucket: 'live-bucket' }))).toEqual(['listed-live']);
    expect(await store.list({ source: 'event' })).toEqual([]);
    expect(ids(await store.list({})).some((id) => id.startsWith('binding:'))).toBe(false);
  });
});

/** Drop the throwaway table with the bare SDK: its search index first, as Tablestore requires. */
async function dropTable(instance: string, tableName: string): Promise<void> {
  const sdk = new TableStore.Client({
    accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID as string,
    secretAccessKey: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET as string,
    ...(process.env.ALIBABA_CLOUD_SECURITY_TOKEN ? { stsToken: process.env.ALIBABA_CLOUD_SECURITY_TOKEN } : {}),
    endpoint: process.env.TABLESTORE_ENDPOINT as string,
    instancename: instance,
    maxRetries: 3,
  }) as unknown as { deleteSearchIndex(params: object): Promise<unknown>; deleteTable(params: object): Promise<unknown> };
  await sdk.deleteSearchIndex({ tableName, indexName: LIST_INDEX }).catch(() => undefined);
  await sdk.deleteTable({ tableName });
}

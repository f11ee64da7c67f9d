import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import TableStore from 'tablestore';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EntryStatus, TransientStoreError, type UploadStore } from '../../../lib/store/port.js';
import type { UploadRecord } from '../../../lib/store/record.js';
import { recordOnce } from '../../../lib/store/record-once.js';
import { LIST_INDEX, openTablestoreStore } from '../../../lib/store/tablestore.js';
import { TablestoreError, tablestoreClients, type TablestoreClients } from '../../../lib/store/tablestore-client.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';
import { tempDir } from '../../support/temp-dir.js';
import { fingerprintOf, uploadRecord } from '../../support/upload-records.js';
import esbuildOptions from '../../../scripts/esbuild-options.cjs';

const INSTANCE = 'test-instance';
const KEYS = { accessKeyId: 'key-one', accessKeySecret: 'secret-one' };
const ROTATED = { accessKeyId: 'key-two', accessKeySecret: 'secret-two' };
const STS = { accessKeyId: 'STS.key', accessKeySecret: 'sts-secret', securityToken: 'sts-token' };
const fingerprint = fingerprintOf('signed bytes');
const bundleDir = tempDir('oss-callback-tablestore-');

describe('Tablestore over the wire-protocol test server', () => {
  let server: TablestoreServer;
  let tableCount = 0;
  const freshTable = () => `uploads_${++tableCount}`;
  const open = (table = freshTable(), credentials: () => typeof KEYS | undefined = () => KEYS) =>
    openTablestoreStore(INSTANCE, table, { endpoint: server.endpoint, aliyunCredentials: credentials });

  beforeAll(async () => {
    server = await startTablestoreServer({ instance: INSTANCE, credentials: [KEYS, ROTATED, STS] });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    server.clearFaults();
    expect(server.indexingErrors).toEqual([]);
  });

  describeStoreContract('tablestore', () => open());

  describe('Module: tablestore-client', () => {
    let clients: TablestoreClients;
    beforeEach(async () => {
      clients = tablestoreClients(server.endpoint, INSTANCE);
      const store = await open('wrapper');
      await store.init();
      await store.close();
    });
    afterEach(() => clients.close());

    it("reports Tablestore's error code, where the bare SDK reports only the HTTP status", async () => {
      // Prepare: the same refused write through the SDK as shipped and through the wrapper.
      const condition = new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null);
      const bare = new TableStore.Client({ accessKeyId: KEYS.accessKeyId, secretAccessKey: KEYS.accessKeySecret, endpoint: server.endpoint, instancename: INSTANCE, maxRetries: 0 });
      // Act
      const bareError = await new Promise((resolve) => bare.putRow({ tableName: 'wrapper', primaryKey: [{ id: 'none' }], attributeColumns: [], condition }, resolve));
      const wrapped = clients.clientFor(KEYS).putRow({ tableName: 'wrapper', primaryKey: { id: 'none' }, columns: {}, condition });
      // Assess
      expect(bareError).toMatchObject({ code: 403 });
      await expect(wrapped).rejects.toBeInstanceOf(TablestoreError);
      await expect(wrapped).rejects.toMatchObject({ code: 'OTSConditionCheckFail', message: 'Condition check failed.', status: 403, requestId: expect.any(String) });
    });

    it('keeps one client while the credentials stay the same and builds a new one when they change', async () => {
      const first = clients.clientFor(KEYS);
      expect(clients.clientFor({ ...KEYS })).toBe(first);
      const rotated = clients.clientFor(ROTATED);
      expect(rotated).not.toBe(first);
      await rotated.getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } });
      expect(server.calls.at(-1)).toEqual({ operation: 'GetRow', accessKeyId: ROTATED.accessKeyId });
    });

    it('signs with the STS token, which the server checks like the signature', async () => {
      expect(await clients.clientFor(STS).getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } })).toBeUndefined();
      await expect(clients.clientFor({ ...STS, securityToken: 'stale' }).getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } })).rejects.toMatchObject({
        code: 'OTSAuthFailed',
        message: 'The security token is invalid.',
      });
      await expect(clients.clientFor({ ...KEYS, accessKeySecret: 'wrong' }).getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } })).rejects.toMatchObject({
        code: 'OTSAuthFailed',
        message: 'Signature mismatch.',
      });
    });

    it('rejects with the signal reason as soon as the signal aborts, and sends nothing when it already has', async () => {
      const client = clients.clientFor(KEYS);
      server.delayNext(1, 1_000);
      const reason = new Error('deadline');
      const started = Date.now();
      await expect(client.getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } }, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(500);
      const before = server.calls.length;
      await expect(client.getRow({ tableName: 'wrapper', primaryKey: { id: 'x' } }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
      expect(server.calls).toHaveLength(before);
    });
  });

  it('works bundled as the deployed functions are: ESM, hence strict mode', async () => {
    // Prepare: the adapter and recordOnce through the functions' own esbuild options, run in a fresh
    // process (this one already ran the SDK unbundled, which leaves its implicit globals behind).
    const dir = bundleDir;
    await build({
      ...esbuildOptions.functionBuildOptions,
      stdin: {
        contents: `
          import { openTablestoreStore } from './lib/store/tablestore.ts';
          import { recordOnce } from './lib/store/record-once.ts';
          const keys = { accessKeyId: '${KEYS.accessKeyId}', accessKeySecret: '${KEYS.accessKeySecret}' };
          const store = await openTablestoreStore('${INSTANCE}', 'bundled', { endpoint: process.argv[2], aliyunCredentials: () => keys });
          await store.init();
          const record = { id: 'b', bucket: 'b', object: 'k', etag: null, size: 1, mimeType: null, crc64: null, contentMd5: null,
            operation: null, reqId: 'b', clientIp: null, vpcId: null, image: null, vars: {}, uploader: null, receivedAt: 'now' };
          const first = await recordOnce(store, { id: 'b', fingerprint: 'f', build: () => record }, { deadline: Date.now() + 3000 });
          const again = await recordOnce(store, { id: 'b', fingerprint: 'f', build: () => record }, { deadline: Date.now() + 3000 });
          await store.release('b', 'token');
          console.log(JSON.stringify({ first: first.replayed, again: again.replayed, listed: (await store.list({})).length }));
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
    expect(JSON.parse(run.stdout || 'null'), run.stderr).toEqual({ first: false, again: true, listed: 1 });
  });

  describe('Function: openTablestoreStore', () => {
    let store: UploadStore;
    afterEach(async () => {
      vi.unstubAllEnvs();
      await store?.close();
    });

    /** Store `record` through the port, as one delivery would. */
    const put = async (record: UploadRecord) => {
      const claim = { id: record.id, status: EntryStatus.INPROGRESS, fingerprint, claimToken: `token-${record.id}`, claimExpiresAt: Date.now() + 60_000 };
      expect(await store.claim(claim, Date.now())).toEqual({ claimed: true });
      expect(await store.complete({ id: record.id, status: EntryStatus.COMPLETE, fingerprint, record }, claim.claimToken)).toBe(true);
    };
    const input = (id: string) => ({ id, fingerprint, build: () => uploadRecord({ id }) });

    it('describes itself without credentials and needs an endpoint and a table name Tablestore accepts', async () => {
      store = await open('described');
      expect(store.description).toBe(`tablestore:${INSTANCE}/described`);
      vi.stubEnv('TABLESTORE_ENDPOINT', undefined);
      await expect(openTablestoreStore(INSTANCE, 'uploads')).rejects.toThrow('set TABLESTORE_ENDPOINT');
      await expect(openTablestoreStore(INSTANCE, 'up-loads', { endpoint: server.endpoint })).rejects.toThrow('not a Tablestore table name');
    });

    it('creates the table and its listing index, and refuses a table keyed otherwise', async () => {
      store = await open('created');
      await store.init();
      const client = tablestoreClients(server.endpoint, INSTANCE);
      const tablestore = client.clientFor(KEYS);
      expect(await tablestore.describeTable('created')).toEqual({ primaryKey: [{ name: 'id', type: 2 }] });
      expect(await tablestore.listSearchIndexes('created')).toEqual([LIST_INDEX]);
      await tablestore.createTable({ tableMeta: { tableName: 'keyed_otherwise', primaryKey: [{ name: 'key', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      client.close();
      const other = await open('keyed_otherwise');
      await expect(other.init()).rejects.toThrow('exists with another primary key');
      await other.close();
    });

    it('retries init while the new table is not ready or throttled', async () => {
      store = await open('slow_to_load');
      server.throttleNext(2);
      await store.init();
      expect(await store.list({})).toEqual([]);
    });

    it('stores integers as INTEGER cells and crc64 as its exact decimal string', async () => {
      store = await open('typed');
      await store.init();
      await put(uploadRecord({ id: 'a', size: 2 ** 40, crc64: '18446744073709551615' }));
      const client = tablestoreClients(server.endpoint, INSTANCE);
      const row = await client.clientFor(KEYS).getRow({ tableName: 'typed', primaryKey: { id: 'a' } });
      client.close();
      expect(row?.columns).toMatchObject({ crc64: '18446744073709551615', vars: '["x:uid=42","x:album=holiday"]', imageFormat: 'jpg' });
      expect(String(row?.columns.size)).toBe(String(2 ** 40));
      expect(typeof row?.columns.size).toBe('object');
      expect(String(row?.columns.imageWidth)).toBe('640');
    });

    it('claims, completes and releases with one conditional write each, reading back only a refused claim', async () => {
      store = await open();
      await store.init();
      const operations = async (work: () => Promise<unknown>) => {
        const before = server.calls.length;
        await work();
        return server.calls.slice(before).map((call) => call.operation);
      };
      const claim = { id: 'a', status: EntryStatus.INPROGRESS, fingerprint, claimToken: 'mine', claimExpiresAt: Date.now() + 60_000 };
      expect(await operations(() => store.claim(claim, Date.now()))).toEqual(['PutRow']);
      expect(await operations(() => store.claim({ ...claim, claimToken: 'other' }, Date.now()))).toEqual(['PutRow', 'GetRow']);
      expect(await operations(() => store.release('a', 'other'))).toEqual(['DeleteRow']);
      const record = uploadRecord({ id: 'a' });
      expect(await operations(() => store.complete({ id: 'a', status: EntryStatus.COMPLETE, fingerprint, record }, 'mine'))).toEqual(['PutRow']);
    });

    it('keeps custom variable names with = and % apart from their values', async () => {
      store = await open();
      await store.init();
      const vars = { 'x:a=b': 'c', 'x:a': 'b=c', 'x:%3D': '%', '': '' };
      await put(uploadRecord({ id: 'v', vars }));
      expect((await store.list({ variable: { name: 'x:a', value: 'b=c' } })).map((record) => record.vars)).toEqual([vars]);
      expect(await store.list({ variable: { name: 'x:a=b', value: 'c' } })).toHaveLength(1);
      expect(await store.list({ variable: { name: 'x:a', value: 'b' } })).toEqual([]);
    });

    it('lists past one search page, newest first', async () => {
      store = await open();
      await store.init();
      const records = Array.from({ length: 130 }, (_, n) => uploadRecord({ id: `r${String(n).padStart(3, '0')}`, receivedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString() }));
      for (const record of records) await put(record);
      const searches = () => server.calls.filter((call) => call.operation === 'Search').length;
      const before = searches();
      const all = await store.list({});
      expect(searches() - before).toBe(2);
      expect(all.map((record) => record.id)).toEqual(records.map((record) => record.id).reverse());
      expect((await store.list({ limit: 101 })).map((record) => record.id)).toEqual(all.slice(0, 101).map((record) => record.id));
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
      beforeEach(async () => {
        store = await open();
        await store.init();
      });

      it('turns throttling and busy servers into TransientStoreError, keeping the Tablestore error as the cause', async () => {
        server.throttleNext(1);
        await expect(store.get('a')).rejects.toSatisfy((error) => error instanceof TransientStoreError && error.cause instanceof TablestoreError && error.cause.code === 'OTSServerBusy');
        server.throttleNext(1, 'OTSNotEnoughCapacityUnit');
        await expect(store.claim({ id: 'a', status: EntryStatus.INPROGRESS, fingerprint, claimToken: 't', claimExpiresAt: Date.now() + 1_000 }, Date.now())).rejects.toBeInstanceOf(TransientStoreError);
        expect(await store.get('a')).toBeUndefined();
      });

      it('lets every other error through untouched', async () => {
        const missing = await open('never_created');
        await expect(missing.get('a')).rejects.toMatchObject({ name: 'TablestoreError', code: 'OTSObjectNotExist', message: 'Requested table does not exist.' });
        await missing.close();
      });

      it('records once through throttled calls, retrying within the budget', async () => {
        server.throttleNext(3);
        const result = await recordOnce(store, input('a'), { deadline: Date.now() + 3_000 });
        expect(result).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
        expect(await store.list({})).toEqual([uploadRecord({ id: 'a' })]);
      });

      it('answers 503 in time when the store is down, and stores nothing', async () => {
        await server.stop();
        try {
          await expect(store.get('a')).rejects.toSatisfy((error) => error instanceof TransientStoreError && (error.cause as TablestoreError).code === 'NetworkingError');
          const started = Date.now();
          await expect(recordOnce(store, input('a'), { deadline: started + 400 })).rejects.toMatchObject({ code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) });
          expect(Date.now() - started).toBeLessThan(800);
        } finally {
          await server.start();
        }
        expect(await store.get('a')).toBeUndefined();
      });

      it('answers DeadlineExceeded on time when a call hangs; the late claim expires and a retry records once', async () => {
        server.delayNext(1, 600);
        const started = Date.now();
        const deadline = started + 300;
        await expect(recordOnce(store, input('a'), { deadline })).rejects.toMatchObject({ code: 'DeadlineExceeded' });
        expect(Date.now() - started).toBeLessThan(550);
        // The held claim lands after the caller gave up: a claim that expires at that deadline, no record.
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(await store.get('a')).toMatchObject({ status: EntryStatus.INPROGRESS, claimExpiresAt: deadline });
        const retried = await recordOnce(store, input('a'), { deadline: Date.now() + 3_000 });
        expect(retried.replayed).toBe(false);
        expect(await store.list({})).toHaveLength(1);
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
  let store: UploadStore;
  const claimFor = (id: string, claimExpiresAt: number, claimToken: string) => ({ id, status: EntryStatus.INPROGRESS, fingerprint, claimToken, claimExpiresAt });

  beforeAll(async () => {
    store = await openTablestoreStore(instance, table);
    await store.init();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await dropTable(instance, table);
  }, 120_000);

  it('initialises idempotently', async () => {
    await store.init();
  });

  it('claims once, refuses a live claim with the first, lets an expired claim be taken over', async () => {
    const now = Date.now();
    const first = claimFor('claim', now + 60_000, 'first');
    expect(await store.claim(first, now)).toEqual({ claimed: true });
    expect(await store.claim(claimFor('claim', now + 60_000, 'second'), now)).toEqual({ claimed: false, existing: first });
    await store.claim(claimFor('expired', now - 1, 'crashed'), now - 5_000);
    expect(await store.claim(claimFor('expired', now + 60_000, 'taker'), now)).toEqual({ claimed: true });
  });

  it('completes and releases only with the claim token, keeping the record exactly', async () => {
    const record = uploadRecord({ id: 'exact', object: 'dir/ünïcode ✓.jpg', vpcId: null, vars: { 'x:note': 'a=b&c' } });
    const entry = { id: 'exact', status: EntryStatus.COMPLETE, fingerprint, record };
    await store.claim(claimFor('exact', Date.now() + 60_000, 'mine'), Date.now());
    expect(await store.complete(entry, 'not-mine')).toBe(false);
    await store.release('exact', 'not-mine');
    expect(await store.complete(entry, 'mine')).toBe(true);
    await store.release('exact', 'mine');
    expect(await store.get('exact')).toEqual(entry);
  });

  it('turns concurrent duplicates into one record', async () => {
    const input = { id: 'race', fingerprint, build: () => uploadRecord({ id: 'race' }) };
    const results = await Promise.all(Array.from({ length: 10 }, () => recordOnce(store, input, { deadline: Date.now() + 4_000 })));
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
  });

  it('lists by bucket and prefix, custom variable and uploader once the index catches up', async () => {
    await recordOnce(store, { id: 'listed', fingerprint, build: () => uploadRecord({ id: 'listed', bucket: 'live-bucket', object: 'live/1.jpg', vars: { 'x:uid': 'live-7' }, uploader: 'live-user' }) }, { deadline: Date.now() + 4_000 });
    await vi.waitFor(async () => expect((await store.list({ bucket: 'live-bucket', prefix: 'live/' })).map((record) => record.id)).toEqual(['listed']), { timeout: 60_000, interval: 1_000 });
    expect((await store.list({ variable: { name: 'x:uid', value: 'live-7' } })).map((record) => record.id)).toEqual(['listed']);
    expect((await store.list({ uploader: 'live-user' })).map((record) => record.id)).toEqual(['listed']);
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

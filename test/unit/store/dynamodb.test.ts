import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { TABLE } from '../../../lib/store/dynamodb-schema.js';
import { openDynamoDbStore } from '../../../lib/store/dynamodb.js';
import { openStore } from '../../../lib/store/open-store.js';
import { EntryStatus, type UploadStore } from '../../../lib/store/port.js';
import { recordOnce } from '../../../lib/store/record-once.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { bundleScript } from '../../support/bundle-script.js';
import { dynamoClientConfig, freshTableName, startDynalite, type Dynalite } from '../../support/dynalite.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { fingerprintOf, uploadRecord } from '../../support/upload-records.js';

let local: Dynalite;
beforeAll(async () => {
  local = await startDynalite();
});
afterAll(() => local.stop());

describeStoreContract('dynamodb (dynalite)', async () => openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig }));

const fingerprint = fingerprintOf('signed bytes');
const input = { id: 'a', fingerprint, build: () => uploadRecord({ id: 'a' }) };
const soon = (ms = 3_000) => ({ deadline: Date.now() + ms });

/** A store whose table lives in dynalite and whose requests go through the fault proxy. */
async function storeBehindProxy(): Promise<{ store: UploadStore; direct: UploadStore; proxy: FaultProxy }> {
  const table = freshTableName();
  const direct = openDynamoDbStore(table, { clientConfig: local.clientConfig });
  await direct.init();
  const proxy = await startFaultProxy(local.endpoint);
  return { store: openDynamoDbStore(table, { clientConfig: dynamoClientConfig(proxy.endpoint) }), direct, proxy };
}

describe('DynamoDB store init', () => {
  it('creates the table with every index the schema declares, then leaves it as it is', async () => {
    const table = freshTableName();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    const lines: string[] = [];
    await store.init({ report: (line) => lines.push(line) });
    await store.init({ report: (line) => lines.push(line) });
    expect(lines).toEqual([
      `created table ${table} with indexes byTime, byBucketTime, byBucketKey, byUploader, byVar`,
      expect.stringMatching(/^note: this endpoint does not support TTL/),
      `table ${table} exists with its indexes`,
      expect.stringMatching(/^note: this endpoint does not support TTL/),
    ]);
    const client = new DynamoDBClient(local.clientConfig);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.KeySchema).toEqual(TABLE.KeySchema);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema, index.Projection])).toEqual(
      TABLE.GlobalSecondaryIndexes.map((index) => [index.IndexName, index.KeySchema, index.Projection]),
    );
    client.destroy();
    await store.close();
  });

  it('refuses a table that lacks the listing indexes, naming them', async () => {
    const table = freshTableName();
    const client = new DynamoDBClient(local.clientConfig);
    await client.send(
      new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: TABLE.KeySchema }),
    );
    client.destroy();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    await expect(store.init()).rejects.toThrow(`table ${table} exists without the index(es) byTime, byBucketTime, byBucketKey, byUploader, byVar`);
    await store.close();
  });

  const useLocalEnvironment = () => {
    vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', local.endpoint);
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  };

  it('is what oss-callback store init runs, with the TTL note for a local endpoint', async () => {
    useLocalEnvironment();
    try {
      const table = freshTableName();
      let stdout = '';
      const io = { stdout: (text: string | Uint8Array) => void (stdout += String(text)), stderr: () => {}, stdin: process.stdin, env: process.env };
      expect(await main(['store', 'init', '--store', `dynamodb:${table}`], io)).toBe(0);
      expect(stdout).toMatch(new RegExp(`^created table ${table} with indexes .*\nnote: this endpoint does not support TTL.*\nready: dynamodb:${table}\n$`));
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('opens dynamodb:<table> from the standard AWS environment', async () => {
    useLocalEnvironment();
    try {
      const table = freshTableName();
      const store = await openStore(`dynamodb:${table}`);
      expect(store.description).toBe(`dynamodb:${table}`);
      await store.init();
      await recordOnce(store, input, soon());
      expect(await store.list({})).toEqual([uploadRecord({ id: 'a' })]);
      await store.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('DynamoDB store keys and indexes', () => {
  it('stores and lists ids and variables longer than a key may be', async () => {
    const store = openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig });
    await store.init();
    const id = 'r'.repeat(3_000);
    const value = 'v'.repeat(3_000);
    const record = uploadRecord({ id, vars: { 'x:long': value } });
    await recordOnce(store, { id, fingerprint, build: () => record }, soon());
    expect(await store.get(id)).toMatchObject({ status: EntryStatus.COMPLETE, record });
    expect(await store.list({ variable: { name: 'x:long', value } })).toEqual([record]);
    expect(await store.list({ variable: { name: 'x:long', value: value.slice(1) } })).toEqual([]);
    await store.close();
  });

  it('never lists a record through variable index items a failed delivery left', async () => {
    const store = openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig });
    await store.init();
    await store.claim({ id: 'a', status: EntryStatus.INPROGRESS, fingerprint, claimToken: 'mine', claimExpiresAt: Date.now() + 60_000 }, Date.now());
    // The index items are written, the record is not: the token is wrong.
    const entry = { id: 'a', status: EntryStatus.COMPLETE, fingerprint, record: uploadRecord({ id: 'a' }) };
    expect(await store.complete(entry, 'stolen')).toBe(false);
    expect(await store.list({ variable: { name: 'x:uid', value: '42' } })).toEqual([]);
    expect(await store.complete(entry, 'mine')).toBe(true);
    expect(await store.list({ variable: { name: 'x:uid', value: '42' } })).toEqual([uploadRecord({ id: 'a' })]);
    await store.close();
  });
});

describe('DynamoDB store faults, through the real SDK client', () => {
  it('retries throttling and a dropped connection within the deadline and stores once', async () => {
    const { store, direct, proxy } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'throttle' }, 2);
    proxy.inject('PutItem', { kind: 'reset' });
    proxy.inject('UpdateItem', { kind: 'throttle', name: 'ThrottlingException' }, 2);
    expect(await recordOnce(store, input, soon())).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
    expect(proxy.seen).toMatchObject({ PutItem: 4, UpdateItem: 3 });
    expect(await direct.list({})).toEqual([uploadRecord({ id: 'a' })]);
    await Promise.all([store.close(), direct.close(), proxy.stop()]);
  });

  it('answers StoreUnavailable when throttling outlasts the budget, and leaves nothing', async () => {
    const { store, direct, proxy } = await storeBehindProxy();
    proxy.inject('UpdateItem', { kind: 'throttle' }, Infinity);
    const started = Date.now();
    await expect(recordOnce(store, input, soon(600))).rejects.toMatchObject({ code: 'StoreUnavailable' });
    expect(Date.now() - started).toBeLessThan(1_100);
    expect(proxy.seen.UpdateItem).toBeGreaterThan(2);
    expect(await direct.get('a')).toBeUndefined(); // the claim was released
    expect(await direct.list({})).toEqual([]);
    await Promise.all([store.close(), direct.close(), proxy.stop()]);
  });

  it('answers DeadlineExceeded on time when a request never gets an answer, and stores nothing', async () => {
    const { store, direct, proxy } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'hang' });
    const started = Date.now();
    await expect(recordOnce(store, input, soon(400))).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(await direct.get('a')).toBeUndefined();
    await Promise.all([store.close(), direct.close(), proxy.stop()]);
  });

  it('holds the full record when the write landed but its answer was lost, and replays it next time', async () => {
    const { store, direct, proxy } = await storeBehindProxy();
    proxy.inject('UpdateItem', { kind: 'lose-answer' });
    await expect(recordOnce(store, input, soon(400))).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(await direct.list({})).toEqual([uploadRecord({ id: 'a' })]);
    expect(await recordOnce(store, input, soon())).toEqual({ record: uploadRecord({ id: 'a' }), replayed: true });
    await Promise.all([store.close(), direct.close(), proxy.stop()]);
  });

  it('holds nothing listable when only the claim landed, and a later delivery takes it over', async () => {
    const { store, direct, proxy } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'lose-answer' });
    await expect(recordOnce(store, input, soon(300))).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(await direct.get('a')).toMatchObject({ status: EntryStatus.INPROGRESS });
    expect(await direct.list({})).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // past the claim's deadline
    expect(await recordOnce(store, input, soon())).toMatchObject({ replayed: false });
    await Promise.all([store.close(), direct.close(), proxy.stop()]);
  });

  it('answers StoreUnavailable within the deadline when DynamoDB is down', async () => {
    const own = await startDynalite();
    const table = freshTableName();
    const store = openDynamoDbStore(table, { clientConfig: own.clientConfig });
    await store.init();
    await own.stop();
    const started = Date.now();
    await expect(recordOnce(store, input, soon(500))).rejects.toMatchObject({ code: 'StoreUnavailable' });
    expect(Date.now() - started).toBeLessThan(1_000);
    await store.close();
  });

  it('answers 503 within the deadline when the endpoint is unreachable', async () => {
    // TEST-NET-1 (RFC 5737) is never routed: the connection either hangs or fails at once.
    const store = openDynamoDbStore(freshTableName(), { clientConfig: dynamoClientConfig('http://192.0.2.1:8000') });
    const started = Date.now();
    await expect(recordOnce(store, input, soon(500))).rejects.toMatchObject({ code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) });
    expect(Date.now() - started).toBeLessThan(1_000);
    await store.close();
  });

  it('answers StoreUnavailable at once, naming nothing secret, when the table does not exist', async () => {
    const store = openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig });
    const attempt = recordOnce(store, input, soon());
    await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable', message: 'the store could not claim the upload id' });
    await expect(attempt).rejects.toHaveProperty('cause.name', 'ResourceNotFoundException');
    await store.close();
  });
});

describe('DynamoDB store races and crashes', () => {
  it('turns 60 concurrent duplicates over three clients into one record', async () => {
    const table = freshTableName();
    const stores = [0, 1, 2].map(() => openDynamoDbStore(table, { clientConfig: local.clientConfig }));
    await stores[0]!.init();
    let builds = 0;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => recordOnce(stores[i % 3]!, { ...input, build: () => (builds++, uploadRecord({ id: 'a' })) }, soon(4_000))),
    );
    expect(builds).toBe(1);
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    expect(await stores[1]!.list({})).toEqual([uploadRecord({ id: 'a' })]);
    await Promise.all(stores.map((store) => store.close()));
  });

  it('takes over from a process that died between claim and complete, once its claim expires', async () => {
    // Prepare: a separate process claims the id, then exits before writing the record.
    const table = freshTableName();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    await store.init();
    const script = await bundleScript(
      'dynamodb-crasher',
      `import { openDynamoDbStore } from './lib/store/dynamodb.ts';
      import { recordOnce } from './lib/store/record-once.ts';
      import { dynamoClientConfig } from './test/support/dynalite.ts';
      const [endpoint, table] = process.argv.slice(2);
      const store = openDynamoDbStore(table, { clientConfig: dynamoClientConfig(endpoint) });
      await recordOnce(store, { id: 'a', fingerprint: '${fingerprint}', build: () => process.exit(70) }, { deadline: Date.now() + 1000 });`,
    );
    const crash = await promisify(execFile)(process.execPath, [script, local.endpoint, table]).catch((error: { code: number }) => error);
    expect(crash).toMatchObject({ code: 70 });
    const left = await store.get('a');
    expect(left).toMatchObject({ status: EntryStatus.INPROGRESS });
    // Act: a duplicate arrives while the dead claim is still live.
    const result = await recordOnce(store, input, soon(4_000));
    // Assess
    expect(result).toEqual({ record: uploadRecord({ id: 'a' }), replayed: false });
    expect(Date.now()).toBeGreaterThan((left as { claimExpiresAt: number }).claimExpiresAt);
    await store.close();
  });
});

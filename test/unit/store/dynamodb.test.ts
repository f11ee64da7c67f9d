import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { credentialsFromEnvironment } from '../../../lib/store/aws-credentials.js';
import { signSigV4 } from '../../../lib/store/aws-sigv4.js';
import { DynamoDbClient } from '../../../lib/store/dynamodb-client.js';
import { TABLE, TIME_SHARDS, timeShard } from '../../../lib/store/dynamodb-schema.js';
import { openDynamoDbStore } from '../../../lib/store/dynamodb.js';
import { openStore } from '../../../lib/store/open-store.js';
import type { UploadStore } from '../../../lib/store/port.js';
import type { UploadRecord } from '../../../lib/store/record.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { dynamoClientConfig, freshTableName, startDynalite, type Dynalite } from '../../support/dynalite.js';
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../../support/fault-proxy.js';
import { fingerprintOf, recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';

let local: Dynalite;
beforeAll(async () => {
  local = await startDynalite();
});
afterAll(() => local.stop());

let contractTable = '';
describeStoreContract('dynamodb (dynalite)', async () => openDynamoDbStore((contractTable = freshTableName()), { clientConfig: local.clientConfig }), {
  // A record with variables is two writes: its index items, then the record.
  interruptWrites: async (failAt) => {
    const proxy = await startFaultProxy(local.endpoint);
    proxy.failWrites(failAt, { kind: 'refuse' });
    return { store: openDynamoDbStore(contractTable, { clientConfig: dynamoClientConfig(proxy.endpoint) }), stop: () => proxy.stop() };
  },
});

const withVars = storedUpload(uploadRecord({ id: 'a' }));
const withoutVars = storedUpload(uploadRecord({ id: 'a', vars: {} }));
const byUid = { variable: { name: 'x:uid', value: '42' } };

/** A store whose table lives in dynalite and whose requests go through the fault proxy. */
async function storeBehindProxy(options?: FaultProxyOptions): Promise<{ store: UploadStore; direct: UploadStore; proxy: FaultProxy; close: () => Promise<void> }> {
  const table = freshTableName();
  const direct = openDynamoDbStore(table, { clientConfig: local.clientConfig });
  await direct.init();
  const proxy = await startFaultProxy(local.endpoint, options);
  const store = openDynamoDbStore(table, { clientConfig: dynamoClientConfig(proxy.endpoint) });
  return { store, direct, proxy, close: async () => void (await Promise.all([store.close(), direct.close(), proxy.stop()])) };
}

/** The requests `act` sends, by operation. */
async function requestsOf(proxy: FaultProxy, act: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...proxy.seen };
  await act();
  return Object.fromEntries(Object.entries(proxy.seen).map(([operation, count]) => [operation, count - (before[operation] ?? 0)]).filter(([, count]) => count !== 0));
}

describe('DynamoDB store: requests per call, counted at the proxy', () => {
  it('records a new callback with one conditional PutItem when it has one custom variable or none, and adds one BatchWriteItem for more', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    expect(await requestsOf(proxy, () => recordWithin(store, withoutVars))).toEqual({ PutItem: 1 });
    const one = uploadRecord({ id: 'one', vars: { 'x:uid': '42' } });
    expect(await requestsOf(proxy, () => recordWithin(store, storedUpload(one)))).toEqual({ PutItem: 1 });
    expect(await requestsOf(proxy, () => recordWithin(store, storedUpload(uploadRecord({ id: 'b' }))))).toEqual({ PutItem: 1, BatchWriteItem: 1 });
    expect((await direct.list(byUid)).map((record) => record.id).sort()).toEqual(['b', 'one']);
    expect(await direct.list({ variable: { name: 'x:album', value: 'holiday' } })).toEqual([uploadRecord({ id: 'b' })]);
    await close();
  });

  it('answers a duplicate with the failed put and one consistent GetItem where the endpoint does not return the item (dynalite)', async () => {
    const { store, proxy, close } = await storeBehindProxy();
    await recordWithin(store, withoutVars);
    expect(await requestsOf(proxy, async () => expect(await recordWithin(store, withoutVars)).toMatchObject({ replayed: true }))).toEqual({ PutItem: 1, GetItem: 1 });
    await close();
  });

  it('answers a duplicate with the failed put alone when DynamoDB returns the item with the failed condition', async () => {
    const { store, proxy, close } = await storeBehindProxy({ returnItemOnConditionFailure: true });
    await recordWithin(store, withoutVars);
    const again = await requestsOf(proxy, async () => expect(await recordWithin(store, withoutVars)).toEqual({ record: withoutVars.record, replayed: true }));
    expect(again).toEqual({ PutItem: 1 });
    // A listing finding the callback's record costs the failed put too.
    const listed = storedUpload(uploadRecord({ id: 'a', source: 'reconcile', vars: {} }), fingerprintOf('listing'));
    expect(await requestsOf(proxy, () => recordWithin(store, listed))).toEqual({ PutItem: 1 });
    await close();
  });

  it('writes the index items before the record: a failure between the two leaves no record, and a redelivery writes both (issue 15)', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy({ returnItemOnConditionFailure: true });
    proxy.inject('PutItem', { kind: 'hang' });
    await expect(recordWithin(store, withVars, 300)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    // The index items are stored, the record is not: no listing finds the upload, none lies about it.
    expect(await direct.get('a')).toBeUndefined();
    expect(await direct.list({})).toEqual([]);
    expect(await direct.list(byUid)).toEqual([]);
    expect(await requestsOf(proxy, () => recordWithin(store, withVars))).toEqual({ BatchWriteItem: 1, PutItem: 1 });
    expect(await direct.list({})).toEqual([withVars.record]);
    expect(await direct.list(byUid)).toEqual([withVars.record]);
    await close();
  });

  it('lists nothing through the index items of a callback refused as a conflict', async () => {
    const { store, direct, close } = await storeBehindProxy({ returnItemOnConditionFailure: true });
    const first = storedUpload(uploadRecord({ id: 'R1', etag: null }));
    await recordWithin(store, first);
    const other = storedUpload(uploadRecord({ id: 'R1', etag: null, vars: { 'x:uid': '7' } }), fingerprintOf('other bytes'));
    await expect(recordWithin(store, other)).rejects.toMatchObject({ code: 'IdempotencyConflict' });
    expect(await direct.list({ variable: { name: 'x:uid', value: '7' } })).toEqual([]);
    expect(await direct.list(byUid)).toEqual([first.record]);
    await close();
  });

  it('writes the index items of a callback that replaces a listed record the same way, and never lists through the old ones', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    const listed = storedUpload(uploadRecord({ id: 'a', source: 'reconcile', vars: { 'x:uid': '7', 'x:album': 'old' } }), fingerprintOf('listing'));
    expect(await requestsOf(proxy, () => recordWithin(store, listed))).toEqual({ PutItem: 1, BatchWriteItem: 1 });
    expect(await requestsOf(proxy, () => recordWithin(store, withVars))).toEqual({ PutItem: 1, BatchWriteItem: 1 });
    expect(await direct.list({ variable: { name: 'x:uid', value: '7' } })).toEqual([]);
    expect(await direct.list({ variable: { name: 'x:album', value: 'old' } })).toEqual([]);
    expect(await direct.list(byUid)).toEqual([withVars.record]);
    expect(await direct.list({ source: 'reconcile' })).toEqual([]);
    await close();
  });

  it('writes more than 25 variables in batches of 25', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    const vars = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x:v${i}`, String(i)]));
    const record = uploadRecord({ id: 'many', vars });
    expect(await requestsOf(proxy, () => recordWithin(store, storedUpload(record)))).toEqual({ PutItem: 1, BatchWriteItem: 2 });
    expect(await direct.list({ variable: { name: 'x:v29', value: '29' } })).toEqual([record]);
    await close();
  });

  it('reads many records with one consistent BatchGetItem, resending unprocessed keys a bounded number of times', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const { store, proxy, close } = await storeBehindProxy();
      const uploads = ['m1', 'm2', 'm3'].map((id) => storedUpload(uploadRecord({ id, vars: {} })));
      for (const upload of uploads) await store.create(upload);
      const ask = ['m3', 'absent', 'm1', 'm3', 'm2'];
      const expected = new Map(uploads.map((upload) => [upload.record.id, upload]));
      expect(await requestsOf(proxy, async () => expect(await store.getMany!(ask)).toEqual(expected))).toEqual({ BatchGetItem: 1 });
      const sent = () => Object.values((proxy.lastInput.BatchGetItem as { RequestItems: Record<string, { ConsistentRead: boolean; Keys: unknown[] }> }).RequestItems)[0];
      expect(sent()).toMatchObject({ ConsistentRead: true, Keys: [{ pk: { S: 'u#m3' } }, { pk: { S: 'u#absent' } }, { pk: { S: 'u#m1' } }, { pk: { S: 'u#m2' } }] });
      proxy.inject('BatchGetItem', { kind: 'unprocessed' }, 2);
      expect(await requestsOf(proxy, async () => expect(await store.getMany!(ask)).toEqual(expected))).toEqual({ BatchGetItem: 3 });
      // The keys sent back as unprocessed, resent as consistent reads.
      expect(sent()).toMatchObject({ ConsistentRead: true, Keys: expect.arrayContaining([{ pk: { S: 'u#m1' } }]) });
      proxy.inject('BatchGetItem', { kind: 'unprocessed' }, Infinity);
      const stuck = requestsOf(proxy, () => store.getMany!(ask));
      await expect(stuck).rejects.toMatchObject({ code: 'UnprocessedKeys' });
      expect(proxy.seen.BatchGetItem).toBe(1 + 3 + 4);
      await close();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('gives up on index items DynamoDB keeps leaving unprocessed, writing no record: 503, never a half-written upload', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const { store, direct, proxy, close } = await storeBehindProxy();
      proxy.inject('BatchWriteItem', { kind: 'unprocessed' }, Infinity);
      const attempt = recordWithin(store, withVars);
      await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable' });
      await expect(attempt).rejects.toHaveProperty('cause.code', 'UnprocessedItems');
      expect(proxy.seen).toEqual({ BatchWriteItem: 4 });
      expect(await direct.get('a')).toBeUndefined();
      await close();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('binds a ticket with one conditional PutItem, and answers a second bind from the failed put', async () => {
    const { store, proxy, close } = await storeBehindProxy({ returnItemOnConditionFailure: true });
    const binding = { key: 'ticket:1', value: 'first', expiresAt: Date.now() + 60_000 };
    expect(await requestsOf(proxy, () => store.bind(binding))).toEqual({ PutItem: 1 });
    expect(await requestsOf(proxy, async () => expect(await store.bind({ ...binding, value: 'second' })).toBe('first'))).toEqual({ PutItem: 1 });
    await close();
  });
});

describe('DynamoDB store: what it writes', () => {
  const client = () => new DynamoDbClient(local.clientConfig);
  const itemOf = async (table: string, pk: string) =>
    (await client().call<{ Item?: Record<string, { S?: string; N?: string }> }>('GetItem', { TableName: table, Key: { pk: { S: pk } } })).Item;

  it('stores a record as its JSON with the listing attributes, and a binding with its TTL only', async () => {
    const table = freshTableName();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    await store.init();
    await store.create(storedUpload(uploadRecord({ id: 'a', source: 'event', uploader: null })));
    const item = await itemOf(table, 'u#a');
    expect(Object.keys(item ?? {}).sort()).toEqual(['bucket', 'fingerprint', 'objectKey', 'pk', 'record', 'recordId', 'sortKey', 'source', 'sourceShard', 'timeShard', 'varKey']);
    expect(item?.sourceShard?.S).toBe(`event#${item?.timeShard?.S}`);
    // The record item is in byVar under its first variable by name; the other has an index item of its own.
    expect(item).toMatchObject({ varKey: { S: 'x:album=holiday' }, recordId: { S: 'a' } });
    expect(await itemOf(table, 'v#x:uid=42#a')).toMatchObject({ varKey: { S: 'x:uid=42' }, recordId: { S: 'a' } });
    expect(await itemOf(table, 'v#x:album=holiday#a')).toBeUndefined();
    const expiresAt = Date.UTC(2026, 7, 1, 10, 0, 0, 1);
    await store.bind({ key: 'ticket:1', value: 'object', expiresAt });
    expect(await itemOf(table, 't#ticket:1')).toEqual({ pk: { S: 't#ticket:1' }, value: { S: 'object' }, expiresAt: { N: String(Math.ceil(expiresAt / 1000)) } });
    await store.close();
  });

  it('stores and lists ids and variables longer than a key may be', async () => {
    const store = openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig });
    await store.init();
    const id = 'r'.repeat(3_000);
    const value = 'v'.repeat(3_000);
    const record = uploadRecord({ id, vars: { 'x:long': value } });
    await recordWithin(store, storedUpload(record));
    expect(await store.get(id)).toEqual(storedUpload(record));
    expect(await store.list({ variable: { name: 'x:long', value } })).toEqual([record]);
    expect(await store.list({ variable: { name: 'x:long', value: value.slice(1) } })).toEqual([]);
    await store.close();
  });
});

describe('DynamoDB store init', () => {
  it('creates the table with every index the schema declares, then leaves it as it is', async () => {
    const table = freshTableName();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    const lines: string[] = [];
    await store.init({ report: (line) => lines.push(line) });
    await store.init({ report: (line) => lines.push(line) });
    expect(lines).toEqual([
      `created table ${table} with indexes byTime, byBucketTime, byBucketKey, byUploader, byNonCallbackSource, byVar`,
      expect.stringMatching(/^note: this endpoint does not support TTL/),
      `table ${table} exists with its indexes`,
      expect.stringMatching(/^note: this endpoint does not support TTL/),
    ]);
    const client = new DynamoDbClient(local.clientConfig);
    type Description = { KeySchema: unknown; GlobalSecondaryIndexes: { IndexName: string; KeySchema: unknown; Projection: unknown }[] };
    const { Table } = await client.call<{ Table: Description }>('DescribeTable', { TableName: table });
    expect(Table.KeySchema).toEqual(TABLE.KeySchema);
    expect(Table.GlobalSecondaryIndexes.map((index) => [index.IndexName, index.KeySchema, index.Projection])).toEqual(
      TABLE.GlobalSecondaryIndexes.map((index) => [index.IndexName, index.KeySchema, index.Projection]),
    );
    client.destroy();
    await store.close();
  });

  it('refuses a table that lacks the listing indexes, naming them', async () => {
    const table = freshTableName();
    const client = new DynamoDbClient(local.clientConfig);
    await client.call('CreateTable', { TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: TABLE.KeySchema });
    client.destroy();
    const store = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    await expect(store.init()).rejects.toThrow(`table ${table} exists without the index(es) byTime, byBucketTime, byBucketKey, byUploader, byNonCallbackSource, byVar`);
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
      await recordWithin(store, withVars);
      expect(await store.list({})).toEqual([withVars.record]);
      await store.close();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('DynamoDB store faults, through the fault proxy', () => {
  it('retries throttling, a server error and a dropped connection in the client and stores once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const { store, direct, proxy, close } = await storeBehindProxy();
      proxy.inject('PutItem', { kind: 'throttle' }, 2);
      proxy.inject('PutItem', { kind: 'reset' });
      proxy.inject('BatchWriteItem', { kind: 'throttle', name: 'ThrottlingException' });
      proxy.inject('BatchWriteItem', { kind: 'server-error' });
      expect(await recordWithin(store, withVars)).toEqual({ record: withVars.record, replayed: false });
      expect(proxy.seen).toEqual({ BatchWriteItem: 3, PutItem: 4 });
      expect(await direct.list(byUid)).toEqual([withVars.record]);
      await close();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('under a table that throttles everything, sends at most 4 requests a callback, not 35, and answers StoreUnavailable with DynamoDB’s code (issue 16)', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'throttle' }, Infinity);
    const callback = (id: string) => storedUpload(uploadRecord({ id, vars: {} }));
    // As the receiver runs it: a 4 s budget, the backoff's own random waits.
    const answer = await requestsOf(proxy, async () => {
      const attempt = recordWithin(store, callback('real-waits'), 4_000);
      await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable' });
      await expect(attempt).rejects.toHaveProperty('cause.code', 'ProvisionedThroughputExceededException');
    });
    expect(answer.PutItem).toBeGreaterThanOrEqual(1);
    expect(answer.PutItem).toBeLessThanOrEqual(4);
    // Waits of no time, so every callback could retry until its budget ran out: the attempt limit holds.
    vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      for (let i = 0; i < 5; i++) {
        expect(await requestsOf(proxy, () => expect(recordWithin(store, callback(`no-waits-${i}`), 4_000)).rejects.toMatchObject({ code: 'StoreUnavailable' }))).toEqual({ PutItem: 4 });
      }
    } finally {
      vi.restoreAllMocks();
    }
    expect(await direct.list({})).toEqual([]);
    await close();
  });

  it('stops retrying a throttled table once the instance’s retry quota is spent, and refills it with successes', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      const { store, proxy, close } = await storeBehindProxy();
      proxy.inject('GetItem', { kind: 'throttle' }, Infinity);
      // 500 tokens, 5 a throttling retry: 33 calls of 4 attempts leave 5 tokens, enough for one more retry.
      for (let i = 0; i < 33; i++) await store.get('a').catch(() => {});
      expect(await requestsOf(proxy, () => store.get('a').catch(() => {}))).toEqual({ GetItem: 2 });
      expect(await requestsOf(proxy, () => store.get('a').catch(() => {}))).toEqual({ GetItem: 1 });
      await close();
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('answers DeadlineExceeded on time when a request never gets an answer, and stores nothing', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'hang' });
    const started = Date.now();
    await expect(recordWithin(store, withVars, 400)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(Date.now() - started).toBeLessThan(900);
    expect(await direct.get('a')).toBeUndefined();
    await close();
  });

  it('holds the full record when the write landed but its answer was lost, and replays it next time', async () => {
    const { store, direct, proxy, close } = await storeBehindProxy();
    proxy.inject('PutItem', { kind: 'lose-answer' });
    await expect(recordWithin(store, withVars, 400)).rejects.toMatchObject({ code: 'DeadlineExceeded' });
    expect(await direct.get('a')).toEqual(withVars);
    expect(await recordWithin(store, withVars)).toEqual({ record: withVars.record, replayed: true });
    expect(await direct.list(byUid)).toEqual([withVars.record]);
    await close();
  });

  it('answers StoreUnavailable within the deadline when DynamoDB is down', async () => {
    const own = await startDynalite();
    const store = openDynamoDbStore(freshTableName(), { clientConfig: own.clientConfig });
    await store.init();
    await own.stop();
    const started = Date.now();
    await expect(recordWithin(store, withVars, 500)).rejects.toMatchObject({ code: 'StoreUnavailable' });
    expect(Date.now() - started).toBeLessThan(1_000);
    await store.close();
  });

  it('answers 503 within the deadline when the endpoint is unreachable', async () => {
    // TEST-NET-1 (RFC 5737) is never routed: the connection either hangs or fails at once.
    const store = openDynamoDbStore(freshTableName(), { clientConfig: dynamoClientConfig('http://192.0.2.1:8000') });
    const started = Date.now();
    await expect(recordWithin(store, withVars, 500)).rejects.toMatchObject({ code: expect.stringMatching(/^(StoreUnavailable|DeadlineExceeded)$/) });
    expect(Date.now() - started).toBeLessThan(1_000);
    await store.close();
  });

  it('answers StoreUnavailable at once, naming nothing secret, when the table does not exist', async () => {
    const store = openDynamoDbStore(freshTableName(), { clientConfig: local.clientConfig });
    const attempt = recordWithin(store, withVars);
    await expect(attempt).rejects.toMatchObject({ code: 'StoreUnavailable', message: 'the store could not write the upload record' });
    await expect(attempt).rejects.toHaveProperty('cause.code', 'ResourceNotFoundException');
    await store.close();
  });
});

describe('DynamoDB store races', () => {
  it('turns 60 concurrent duplicates over three clients into one record, every delivery answered with it', async () => {
    const table = freshTableName();
    const stores = [0, 1, 2].map(() => openDynamoDbStore(table, { clientConfig: local.clientConfig }));
    await stores[0]!.init();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => recordWithin(stores[i % 3]!, withVars, 4_000)));
    expect(results.filter((result) => !result.replayed)).toHaveLength(1);
    for (const result of results) expect(result.record).toEqual(withVars.record);
    expect(await stores[1]!.list({})).toEqual([withVars.record]);
    expect(await stores[2]!.list(byUid)).toEqual([withVars.record]);
    await Promise.all(stores.map((store) => store.close()));
  });
});

describe('DynamoDB client', () => {
  /** A stand-in endpoint: keeps what it was sent and answers with `answer`. */
  async function endpoint(answer: { status: number; body: object | string }) {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' }).end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, received, stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
  }

  it('signs with SigV4 as AWS does (the AWS test suite post-vanilla case, and a DynamoDB call as the AWS SDK signs it)', () => {
    const now = new Date('2015-08-30T12:36:00Z');
    const example = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    const vanilla = signSigV4({ url: new URL('https://example.amazonaws.com/'), region: 'us-east-1', service: 'service', headers: {}, body: '' }, example, now);
    expect(vanilla.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
    const body = JSON.stringify({ TableName: 'uploads', Item: { pk: { S: 'u#a' } }, ConditionExpression: 'attribute_not_exists(pk)' });
    const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' };
    const put = signSigV4({ url: new URL('https://dynamodb.eu-central-1.amazonaws.com/'), region: 'eu-central-1', service: 'dynamodb', headers, body }, { ...example, sessionToken: 'session-token-example' }, now);
    // What @smithy/signature-v4 (the AWS SDK's signer, applyChecksum off as for DynamoDB) gives for the same request.
    expect(put.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-central-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=334e20c2c5d51ff706e9fb4f12ca99e39426590bc0965ca969a62451da717c27',
    );
    expect(put['x-amz-security-token']).toBe('session-token-example');
  });

  it('reads the endpoint, region and credentials from the standard AWS environment', async () => {
    const target = await endpoint({ status: 200, body: {} });
    const env = { AWS_ENDPOINT_URL_DYNAMODB: target.url, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_DEFAULT_REGION: 'ap-southeast-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };
    const client = new DynamoDbClient({}, env);
    await client.call('GetItem', { TableName: 't', Key: { pk: { S: 'u#a' } } });
    const [{ headers, body }] = target.received as [{ headers: IncomingHttpHeaders; body: string }];
    expect(headers).toMatchObject({ 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-type': 'application/x-amz-json-1.0', 'x-amz-security-token': 'token' });
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/ap-southeast-1\/dynamodb\/aws4_request, /);
    expect(JSON.parse(body)).toEqual({ TableName: 't', Key: { pk: { S: 'u#a' } } });
    client.destroy();
    // AWS_REGION wins over AWS_DEFAULT_REGION, and AWS_ENDPOINT_URL serves when there is no DynamoDB one.
    const { AWS_ENDPOINT_URL_DYNAMODB: _, ...general } = { ...env, AWS_ENDPOINT_URL: target.url, AWS_REGION: 'eu-west-1' };
    const second = new DynamoDbClient({}, general);
    await second.call('GetItem', {});
    expect(target.received[1]?.headers.authorization).toContain('/eu-west-1/dynamodb/');
    second.destroy();
    await target.stop();
    expect(() => new DynamoDbClient({}, {})).toThrow('DynamoDB needs a region: set AWS_REGION');
  });

  it('falls back to the AWS SDK default credential chain, loaded only then, when the environment has no keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-profile-'));
    const file = join(dir, 'credentials');
    writeFileSync(file, '[uploads]\naws_access_key_id = FROMPROFILE\naws_secret_access_key = secret\n');
    try {
      vi.stubEnv('AWS_ACCESS_KEY_ID', '');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
      vi.stubEnv('AWS_PROFILE', 'uploads');
      vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', file);
      vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'none'));
      expect(await credentialsFromEnvironment()()).toMatchObject({ accessKeyId: 'FROMPROFILE', secretAccessKey: 'secret' });
    } finally {
      vi.unstubAllEnvs();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('abandons a request when its signal aborts, with the signal reason', async () => {
    const proxy = await startFaultProxy(local.endpoint);
    proxy.inject('GetItem', { kind: 'hang' });
    const client = new DynamoDbClient(dynamoClientConfig(proxy.endpoint));
    const started = Date.now();
    await expect(client.call('GetItem', {}, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(500);
    client.destroy();
    await proxy.stop();
  });

  it('keeps the AWS SDK out of the store a function bundle loads', async () => {
    const result = await build({ entryPoints: ['lib/store/dynamodb.ts'], bundle: true, platform: 'node', format: 'esm', minify: true, write: false, metafile: true, logLevel: 'silent' });
    expect(Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules'))).toEqual([]);
    // The default credential chain stays a runtime import of an installed package, never bundled.
    expect(result.outputFiles[0]?.text).toContain('@aws-sdk/credential-provider-node');
    // The client, its transport, retries and endpoint rules, minified; table creation and counts,
    // which only the CLI runs, ride along unsplit (a Lambda bundle is one file) but are never evaluated.
    expect(result.outputFiles[0]?.contents.byteLength).toBeLessThan(26 * 1024);
  });
});

describe('DynamoDB store listing', () => {
  it('lists by source through the sparse index for listings and events, and skips other sources in code for callbacks', async () => {
    const { store, proxy, close } = await storeBehindProxy();
    const at = (second: number) => `2026-08-01T10:00:${String(second).padStart(2, '0')}.000Z`;
    const records: UploadRecord[] = [
      uploadRecord({ id: 'c1', receivedAt: at(1) }),
      uploadRecord({ id: 'r1', source: 'reconcile', receivedAt: at(2) }),
      uploadRecord({ id: 'e1', source: 'event', receivedAt: at(3) }),
    ];
    for (const record of records) await store.create(storedUpload(record));
    const listed = await requestsOf(proxy, async () => expect((await store.list({ source: 'reconcile' })).map((record) => record.id)).toEqual(['r1']));
    expect(listed).toEqual({ Query: 4 });
    expect((await store.list({ source: 'callback' })).map((record) => record.id)).toEqual(['c1']);
    await close();
  });
});

describe('DynamoDB store counting', () => {
  const hour = (h: number) => `2026-08-01T0${h}:00:00.000Z`;
  const bounds = [hour(0), hour(1), hour(2)];

  it('counts with Select: COUNT, 3 × TIME_SHARDS queries a period, or a query a period for a bucket plus its recovered records', async () => {
    const { store, proxy, close } = await storeBehindProxy();
    for (const [id, source, h] of [['c1', 'callback', 0], ['e1', 'event', 0], ['r1', 'reconcile', 1]] as const) {
      await store.create(storedUpload(uploadRecord({ id, source, receivedAt: hour(h).replace(':00:00', ':30:00') }), fingerprintOf(id)));
    }
    let counts: unknown;
    expect(await requestsOf(proxy, async () => (counts = await store.count?.({ bounds })))).toEqual({ Query: 2 * 3 * TIME_SHARDS });
    expect(counts).toEqual([{ callback: 1, event: 1, reconcile: 0 }, { callback: 0, event: 0, reconcile: 1 }]);
    expect(await requestsOf(proxy, async () => (counts = await store.count?.({ bounds, bucket: 'photos' })))).toEqual({ Query: 2 + 2 * TIME_SHARDS });
    expect(counts).toEqual([{ callback: 1, event: 1, reconcile: 0 }, { callback: 0, event: 0, reconcile: 1 }]);
    expect(await requestsOf(proxy, async () => (counts = await store.count?.({ bounds, bucket: 'photos', prefix: 'users/' })))).toEqual({ Query: 1 });
    expect(counts).toEqual([{ callback: 1, event: 1, reconcile: 0 }, { callback: 0, event: 0, reconcile: 1 }]);
    await close();
  });

  it('follows a count past a 1 MB page of index to its end', async () => {
    const { store, proxy, close } = await storeBehindProxy();
    // Records of about 100 KB, all in time shard 0, so that shard's index holds more than 1 MB.
    const ids = Array.from({ length: 400 }, (_, n) => `big-${n}`).filter((id) => timeShard(id) === '0').slice(0, 14);
    const metadata = { padding: 'x'.repeat(100_000) };
    for (const id of ids) await store.create(storedUpload(uploadRecord({ id, source: 'event', vars: {}, uploader: null, metadata, receivedAt: '2026-08-01T00:10:00.000Z' }), fingerprintOf(id)));
    let counts: unknown;
    const requests = await requestsOf(proxy, async () => (counts = await store.count?.({ bounds: [hour(0), hour(1)] })));
    expect(counts).toEqual([{ callback: 0, event: ids.length, reconcile: 0 }]);
    // Both indexes that hold these records needed a second page.
    expect(requests.Query).toBeGreaterThanOrEqual(3 * TIME_SHARDS + 2);
    await close();
  });
});

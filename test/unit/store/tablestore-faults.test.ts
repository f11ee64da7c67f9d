import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UploadStore } from '../../../lib/store/port.js';
import { RowExistence, TablestoreClient, TablestoreError } from '../../../lib/store/tablestore-client.js';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { DOCUMENTED_ERRORS, type DocumentedError } from '../../support/tablestore-errors.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';
import { recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';

/**
 * Our Tablestore client and store against a server that answers each error Tablestore's reference
 * lists for these calls: which are retried (and how often), what the caller gets, and what a callback
 * is answered. Waits between attempts are drawn at 0, so the counts come fast; each case has a client
 * of its own, as the retry quota is per client and these cases would spend it.
 */

const INSTANCE = 'faults';
const TABLE = 'faults';
const KEYS = { accessKeyId: 'key', accessKeySecret: 'secret' };

/** Retried for every call: throttling, a row conflict, a table or partition still loading (the SDK's `shouldRetryNoMatterWhichApi`). */
const RETRIED_FOR_EVERY_CALL = new Set(['OTSServerBusy', 'OTSNotEnoughCapacityUnit', 'OTSOperationThrottled', 'OTSRowOperationConflict', 'OTSTableNotReady', 'OTSPartitionUnavailable']);
/** Retried for reads only: a write that got these may have been applied (the SDK's `shouldRetryWhenApiRepeatable`). */
const RETRIED_FOR_READS = new Set(['OTSTimeout', 'OTSInternalServerError', 'OTSServerUnavailable']);

function retriedFor(error: DocumentedError, operation: string): boolean {
  if (RETRIED_FOR_EVERY_CALL.has(error.code)) return true;
  if (error.code === 'OTSQuotaExhausted') return error.message === 'Too frequent table operations.';
  return operation !== 'PutRow' && RETRIED_FOR_READS.has(error.code);
}

const label = (error: DocumentedError) => `${error.status} ${error.code}: ${error.message}`;

let server: TablestoreServer;
let client: TablestoreClient;

beforeAll(async () => {
  server = await startTablestoreServer({ instance: INSTANCE, credentials: [KEYS] });
  const store = await openTablestoreStore(INSTANCE, TABLE, { endpoint: server.endpoint, aliyunCredentials: () => KEYS });
  await store.init();
  await store.close();
});

beforeEach(() => {
  client = new TablestoreClient({ endpoint: server.endpoint, instance: INSTANCE, credentials: () => KEYS, retry: { random: () => 0 } });
});

afterEach(() => {
  client.close();
  server.clearFaults();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await server.close();
});

/** The operations the server received while `work` ran. */
async function operations(work: () => Promise<unknown>): Promise<string[]> {
  const before = server.calls.length;
  await work();
  return server.calls.slice(before).map((call) => call.operation);
}

const calls = {
  PutRow: () => client.putRow({ tableName: TABLE, primaryKey: { id: 'x' }, columns: { a: 'b' }, condition: { rowExistence: RowExistence.EXPECT_NOT_EXIST } }),
  GetRow: () => client.getRow({ tableName: TABLE, primaryKey: { id: 'x' } }),
  BatchGetRow: () => client.batchGetRow({ tableName: TABLE, primaryKeys: [{ id: 'x' }, { id: 'y' }] }),
};

describe('every documented error, answered to every request', () => {
  it('holds the classification to the reference: a "Retry: No" error is never retried, a "Retry: Yes" one is retried at least for reads', () => {
    for (const error of DOCUMENTED_ERRORS) {
      const retried = ['PutRow', 'GetRow', 'BatchGetRow'].some((operation) => retriedFor(error, operation));
      expect(retried, label(error)).toBe(error.retry);
    }
  });

  for (const [operation, call] of Object.entries(calls)) {
    describe(operation, () => {
      it.each(DOCUMENTED_ERRORS.map((error) => [label(error), error] as const))('%s', async (_, error) => {
        server.failNext(Number.POSITIVE_INFINITY, error);
        let failure: unknown;
        const sent = await operations(async () => {
          failure = await call().catch((caught: unknown) => caught);
        });
        expect(failure).toBeInstanceOf(TablestoreError);
        expect(failure).toMatchObject({ code: error.code, message: error.message, status: error.status, operation, requestId: expect.any(String) });
        expect(sent).toEqual(Array(retriedFor(error, operation) ? 4 : 1).fill(operation));
      });
    });
  }
});

describe('every documented error, failing one row of a BatchGetRow', () => {
  it.each(DOCUMENTED_ERRORS.map((error) => [label(error), error] as const))('%s', async (_, error) => {
    await client.putRow({ tableName: TABLE, primaryKey: { id: 'y' }, columns: { a: 'b' }, condition: { rowExistence: RowExistence.IGNORE } });
    server.failRowsNext(1, error);
    let result: unknown;
    const sent = await operations(async () => {
      result = await calls.BatchGetRow().catch((caught: unknown) => caught);
    });
    if (retriedFor(error, 'BatchGetRow')) {
      // Asked again for the failed row alone, which the server now reads.
      expect(sent).toEqual(['BatchGetRow', 'BatchGetRow']);
      expect(result).toEqual([undefined, { primaryKey: { id: 'y' }, columns: { a: 'b' } }]);
    } else {
      expect(sent).toEqual(['BatchGetRow']);
      expect(result).toMatchObject({ name: 'TablestoreError', code: error.code, message: error.message, operation: 'BatchGetRow' });
    }
  });
});

describe('what a callback is answered while the table answers a documented error to every request', () => {
  let store: UploadStore;
  beforeEach(async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    store = await openTablestoreStore(INSTANCE, TABLE, { endpoint: server.endpoint, aliyunCredentials: () => KEYS });
  });
  afterEach(async () => {
    await store.close();
  });

  it.each(DOCUMENTED_ERRORS.map((error) => [label(error), error] as const))('%s', async (_, error) => {
    const upload = storedUpload(uploadRecord({ id: `callback-${DOCUMENTED_ERRORS.indexOf(error)}` }));
    server.failNext(Number.POSITIVE_INFINITY, error);
    let refusal: unknown;
    const sent = await operations(async () => {
      refusal = await recordWithin(store, upload).catch((caught: unknown) => caught);
    });
    // 503 before OSS's 5 s, Tablestore's code in the cause for the log line.
    expect(refusal).toMatchObject({ code: 'StoreUnavailable', status: 503, cause: { name: 'TablestoreError', code: error.code } });
    const puts = sent.filter((operation) => operation === 'PutRow').length;
    expect(puts).toBe(retriedFor(error, 'PutRow') ? 4 : 1);
    // A write refused outright is not read back; one that may have been applied is, before giving up.
    const reads = sent.filter((operation) => operation === 'GetRow').length;
    expect(reads).toBe(RETRIED_FOR_READS.has(error.code) ? 4 : error.code === 'OTSConditionCheckFail' ? 1 : 0);
    server.clearFaults();
    expect(await store.get(upload.record.id)).toBeUndefined();
  });
});

describe('what one client keeps across calls', () => {
  it('spends one retry quota on a throttled table: once it is gone, calls are not retried', async () => {
    server.failNext(Number.POSITIVE_INFINITY);
    const attempts: number[] = [];
    for (let call = 0; call < 40; call++) attempts.push((await operations(() => calls.GetRow().catch(() => undefined))).length);
    // 500 tokens, 5 a throttling retry: 33 calls retry 3 times, the 34th once, the rest not at all.
    expect(attempts).toEqual([...Array(33).fill(4), 2, ...Array(6).fill(1)]);
  });

  it("signs with Tablestore's time once it refuses ours, after one more attempt, and keeps it", async () => {
    const ahead = await startTablestoreServer({ instance: INSTANCE, credentials: [KEYS], clockOffsetMs: 20 * 60_000 });
    const skewed = new TablestoreClient({ endpoint: ahead.endpoint, instance: INSTANCE, credentials: () => KEYS, retry: { random: () => 0 } });
    const table = await openTablestoreStore(INSTANCE, TABLE, { endpoint: ahead.endpoint, aliyunCredentials: () => KEYS });
    try {
      // The SDK (store init, listing) signs with the local clock and corrects nothing.
      await expect(table.init()).rejects.toMatchObject({ code: 'OTSAuthFailed', message: expect.stringMatching(/^Mismatch between system time and x-ots-date/) });
      const before = ahead.calls.length;
      await expect(skewed.getRow({ tableName: TABLE, primaryKey: { id: 'x' } })).rejects.toMatchObject({ code: 'OTSObjectNotExist' });
      await expect(skewed.getRow({ tableName: TABLE, primaryKey: { id: 'x' } })).rejects.toMatchObject({ code: 'OTSObjectNotExist' });
      // The server counts requests it authenticated: the first call's second attempt, signed with the
      // corrected time, and the second call's first.
      expect(ahead.calls.length - before).toBe(2);
    } finally {
      skewed.close();
      await table.close();
      await ahead.close();
    }
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CallbackError } from '../../../lib/errors.js';
import { KeyCache } from '../../../lib/protocol/key-cache.js';
import { signedCallback } from '../../../lib/protocol/sign.js';
import { pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver } from '../../../lib/protocol/verify.js';
import { createPipeline } from '../../../lib/receiver.js';
import { DynamoDbError } from '../../../lib/store/dynamodb-client.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import { TransientStoreError } from '../../../lib/store/port.js';
import { SqliteError } from '../../../lib/store/sqlite-driver.js';
import { storeCode } from '../../../lib/store/store-code.js';
import { TablestoreError } from '../../../lib/store/tablestore-client.js';
import { withFaults } from '../../support/faulty-store.js';

/** As `callStore` wraps a store's failure: a refusal whose cause is the store's error, maybe marked transient. */
const refusal = (error: unknown, transient = false) =>
  new CallbackError('StoreUnavailable', 'the store could not write the upload record', {
    cause: transient ? new TransientStoreError('the store is busy', { cause: error }) : error,
  });

describe('storeCode', () => {
  it("finds each store's own code down the cause chain, past the refusal and its wrappers", () => {
    expect(storeCode(refusal(new SqliteError('SQLITE_FULL', 'database or disk is full')))).toBe('SQLITE_FULL');
    expect(storeCode(refusal(new SqliteError('SQLITE_BUSY', 'database is locked'), true))).toBe('SQLITE_BUSY');
    expect(storeCode(refusal(new DynamoDbError('ProvisionedThroughputExceededException', 'slow down', 400), true))).toBe('ProvisionedThroughputExceededException');
    expect(storeCode(refusal(new TablestoreError('OTSServerBusy', 'server is busy', { operation: 'PutRow', status: 503 }), true))).toBe('OTSServerBusy');
    expect(storeCode(refusal(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }), true))).toBe('ECONNREFUSED');
  });

  it("takes a store of one's own by its error's code, or by a name of its own", () => {
    expect(storeCode(refusal(Object.assign(new Error('quota'), { code: 'QUOTA_EXCEEDED' })))).toBe('QUOTA_EXCEEDED');
    class RedisDown extends Error {
      override name = 'RedisDown';
    }
    expect(storeCode(refusal(new RedisDown('gone')))).toBe('RedisDown');
  });

  it('names nothing when no error down the chain says more than a message', () => {
    expect(storeCode(refusal(new Error('disk I/O error')))).toBeUndefined();
    expect(storeCode(refusal(new TypeError('x is not a function'), true))).toBeUndefined();
    expect(storeCode(refusal(new DOMException('aborted', 'AbortError')))).toBeUndefined();
    expect(storeCode(new CallbackError('DeadlineExceeded', 'too late'))).toBeUndefined();
    expect(storeCode(undefined)).toBeUndefined();
  });

  it('puts it on the log line of a 503, and nowhere in the answer', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keyUrl = 'https://keys.test.invalid/store-code.pem';
    const lines: Record<string, unknown>[] = [];
    const full = () => {
      throw new SqliteError('SQLITE_FULL', 'database or disk is full');
    };
    const receiver = createPipeline({
      limits: { deadlineMs: 2_000, maxBodyBytes: 65_536 },
      store: withFaults(new MemoryStore(), [{ verb: 'create', times: 1, fail: full }]),
      keys: new KeyResolver(pinnedKeys(new Map([[keyUrl, publicKey]])), new KeyCache({ fetch: () => Promise.reject(new Error('no network in tests')) })),
      logger: { log: (level, message, fields) => lines.push({ level, message, ...fields }) },
    });
    const request = (object: string) =>
      signedCallback({ privateKey, keyUrl, url: 'https://cb.example.com/cb', body: Buffer.from(`bucket=b&object=${object}&etag=E1`), contentType: 'application/x-www-form-urlencoded' });

    const refused = await receiver.handle(request('full.jpg'));
    const stored = await receiver.handle(request('fine.jpg'));

    expect(refused.status).toBe(503);
    expect(refused.body.toString()).not.toContain('SQLITE');
    expect(stored.status).toBe(200);
    expect(lines).toMatchObject([
      { level: 'error', status: 503, code: 'StoreUnavailable', storeCode: 'SQLITE_FULL' },
      { level: 'info', status: 200 },
    ]);
    expect(lines[1]).not.toHaveProperty('storeCode');
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AliyunCredentials } from '../../../lib/credentials.js';
import { fc3EventOf } from '../../../lib/platforms/sample-events.js';
import { signedCallback } from '../../../lib/protocol/sign.js';
import { CONTENT_TYPES } from '../../../lib/protocol/templates.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';

/**
 * What a warm Function Compute instance keeps between invocations, observed through the deployed
 * entry (functions/callback-fc.ts) against the wire-protocol Tablestore server: configuration, the store
 * and the key cache are built once; each invocation's STS credentials sign its store calls, and the
 * official SDK, which only `store init` and listing use, is never reached.
 */
const spies = vi.hoisted(() => ({ loadConfig: vi.fn(), openStoreWith: vi.fn(), tablestoreClient: vi.fn() }));

vi.mock('../../../lib/config.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../lib/config.js')>();
  spies.loadConfig.mockImplementation(original.loadConfig);
  return { ...original, loadConfig: spies.loadConfig };
});
vi.mock('../../../lib/store/store-uri.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../lib/store/store-uri.js')>();
  spies.openStoreWith.mockImplementation(original.openStoreWith);
  return { ...original, openStoreWith: spies.openStoreWith };
});
vi.mock('tablestore', async (importOriginal) => {
  const original = (await importOriginal<{ default: { Client: new (options: object) => object } }>()).default;
  spies.tablestoreClient.mockImplementation(function (options: object) {
    return new original.Client(options);
  });
  return { default: { ...original, Client: spies.tablestoreClient } };
});

const INSTANCE = 'warm';
const TABLE = 'uploads';
const roleA: AliyunCredentials = { accessKeyId: 'STS.roleA', accessKeySecret: 'secret-a', securityToken: 'token-a' };
const roleB: AliyunCredentials = { accessKeyId: 'STS.roleB', accessKeySecret: 'secret-b', securityToken: 'token-b' };
// Not pinned: the receiver must fetch it from OSS's key host, once per warm instance.
const keyUrl = 'https://gosspublic.alicdn.com/warm_instance_test_key.pem';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const fetchKey = vi.fn(async () => new Response(publicKey.export({ type: 'spki', format: 'pem' }).toString(), { status: 200 }));

let server: TablestoreServer;

beforeAll(async () => {
  server = await startTablestoreServer({ instance: INSTANCE, credentials: [roleA, roleB] });
  const { openTablestoreStore } = await import('../../../lib/store/tablestore.js');
  const setup = await openTablestoreStore(INSTANCE, TABLE, { endpoint: server.endpoint, aliyunCredentials: () => roleA });
  await setup.init();
  await setup.close();
  vi.stubEnv('UPLOAD_STORE', `tablestore:${INSTANCE}/${TABLE}`);
  vi.stubEnv('TABLESTORE_ENDPOINT', server.endpoint);
  vi.stubEnv('LOG_LEVEL', 'silent');
  vi.stubGlobal('fetch', fetchKey);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  await server.close();
});

function event(object: string): Buffer {
  const body = Buffer.from(`bucket=photos&object=${object}&reqId=${object.toUpperCase().padEnd(24, '0')}`);
  const request = signedCallback({ privateKey, keyUrl, url: 'https://cb.test.invalid/oss/callback', body, contentType: CONTENT_TYPES.form });
  return Buffer.from(JSON.stringify(fc3EventOf(request)));
}

describe('a warm FC instance', () => {
  it('builds config, store and key cache once, and follows the invocation credentials', async () => {
    const { fc3 } = await import('../../../functions/callback-fc.js');
    const clientsBefore = spies.tablestoreClient.mock.calls.length;
    const callsBefore = server.calls.length;
    const invoke = (object: string, credentials: AliyunCredentials) => fc3(event(object), { requestId: object, credentials, function: { timeout: 6 } });

    const answers = [await invoke('first', roleA), await invoke('second', roleA), await invoke('third', roleB), await invoke('fourth', roleB)];

    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200]);
    expect(spies.loadConfig).toHaveBeenCalledTimes(1);
    expect(spies.openStoreWith).toHaveBeenCalledTimes(1);
    expect(fetchKey).toHaveBeenCalledTimes(1);
    // Our own client writes and reads; the SDK (table creation and search only) builds no client.
    expect(spies.tablestoreClient.mock.calls.length - clientsBefore).toBe(0);
    const keysUsed = server.calls.slice(callsBefore).map((call) => call.accessKeyId);
    expect(new Set(keysUsed.slice(0, keysUsed.length / 2))).toEqual(new Set(['STS.roleA']));
    expect(new Set(keysUsed.slice(keysUsed.length / 2))).toEqual(new Set(['STS.roleB']));
  });
});

import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { signSigV4 } from '../../../lib/store/aws-sigv4.js';
import { DynamoDbClient, DynamoDbError, type DynamoDbClientConfig } from '../../../lib/store/dynamodb-client.js';
import { PARTITIONS } from '../../../lib/store/dynamodb-endpoint.js';
import { openDynamoDbStore } from '../../../lib/store/dynamodb.js';
import { startDynalite, freshTableName, dynamoClientConfig, type Dynalite } from '../../support/dynalite.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { recordWithin, storedUpload, uploadRecord } from '../../support/upload-records.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const type = (name: string) => `com.amazonaws.dynamodb.v20120810#${name}`;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a fault server does with one request: answer it (a status, DynamoDB's error body, headers), or never. */
type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A stand-in DynamoDB on a free port: each request is answered by `answer`, and kept. */
async function faultServer(answer: (request: Received, index: number) => Answer) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body };
      received.push(request);
      const what = answer(request, received.length - 1);
      if (what === 'hang') return void held.push(res);
      res.writeHead(what.status, { 'content-type': 'application/x-amz-json-1.0', date: new Date().toUTCString(), ...what.headers }).end(what.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const errorAnswer = (status: number, name: string, message = 'injected') => ({ status, body: JSON.stringify({ __type: type(name), message }) });

/**
 * The installed AWS SDK's DynamoDB client against the same server, with its own error classification
 * (the retry middleware's THROTTLING / TRANSIENT / SERVER_ERROR / CLIENT_ERROR) recorded for every
 * failed attempt, and the standard strategy's decision (retry THROTTLING and TRANSIENT, 4 attempts)
 * made without waiting.
 */
function sdkClient(endpoint: string) {
  const kinds: string[] = [];
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryCost: () => undefined });
  const retryStrategy = {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: ReturnType<typeof token>, info: { errorType: string }) => {
      kinds.push(info.errorType);
      if (!['THROTTLING', 'TRANSIENT'].includes(info.errorType) || previous.getRetryCount() + 1 >= 4) throw new Error('no retry');
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => {},
  };
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, retryStrategy, maxAttempts: 4 });
  return { client, kinds };
}

const ourClient = (endpoint: string, config: DynamoDbClientConfig = {}) => new DynamoDbClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, ...config });

/** Our classification as the SDK names it, from the attempts made and the failure left. */
const SDK_KIND = { throttling: 'THROTTLING', transient: 'TRANSIENT' } as const;

beforeEach(() => void vi.spyOn(Math, 'random').mockReturnValue(0));
afterEach(() => void vi.restoreAllMocks());

describe('DynamoDB client against a server that answers every error DynamoDB documents', () => {
  /**
   * DynamoDB's error table (developer guide, "Error handling with DynamoDB": the HTTP 400 and 5xx
   * lists), the transaction errors of TransactWriteItems and the replication one of global tables,
   * with what the AWS SDK makes of each: where the table says "OK to retry? Yes" and the SDK does not
   * retry (ItemCollectionSizeLimitExceededException, UnrecognizedClientException), we do as the SDK does.
   */
  const documented: { name: string; status: number; retried: 'throttling' | 'transient' | undefined }[] = [
    { name: 'AccessDeniedException', status: 400, retried: undefined },
    { name: 'ConditionalCheckFailedException', status: 400, retried: undefined },
    { name: 'IncompleteSignatureException', status: 400, retried: undefined },
    { name: 'ItemCollectionSizeLimitExceededException', status: 400, retried: undefined },
    { name: 'LimitExceededException', status: 400, retried: 'throttling' },
    { name: 'MissingAuthenticationTokenException', status: 400, retried: undefined },
    { name: 'ProvisionedThroughputExceededException', status: 400, retried: 'throttling' },
    { name: 'RequestLimitExceeded', status: 400, retried: 'throttling' },
    { name: 'ResourceInUseException', status: 400, retried: undefined },
    { name: 'ResourceNotFoundException', status: 400, retried: undefined },
    { name: 'ThrottlingException', status: 400, retried: 'throttling' },
    { name: 'UnrecognizedClientException', status: 400, retried: undefined },
    { name: 'ValidationException', status: 400, retried: undefined },
    { name: 'SerializationException', status: 400, retried: undefined },
    { name: 'TransactionConflictException', status: 400, retried: undefined },
    { name: 'TransactionCanceledException', status: 400, retried: undefined },
    { name: 'TransactionInProgressException', status: 400, retried: 'throttling' },
    { name: 'IdempotentParameterMismatchException', status: 400, retried: undefined },
    { name: 'ReplicatedWriteConflictException', status: 400, retried: 'transient' },
    { name: 'InternalServerError', status: 500, retried: 'transient' },
    { name: 'ServiceUnavailable', status: 503, retried: 'transient' },
  ];

  for (const { name, status, retried } of documented) {
    it(`${name} (${status}): ${retried ? `retried as ${retried}, 4 attempts` : 'not retried'}, as the AWS SDK does`, async () => {
      const server = await faultServer(() => errorAnswer(status, name));
      const ours = ourClient(server.url);
      const failure = await ours.call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DynamoDbError);
      expect(failure).toMatchObject({ code: name, status, message: `DynamoDB GetItem: ${name}: injected` });
      const ourAttempts = server.received.length;
      expect(ourAttempts).toBe(retried ? 4 : 1);

      const sdk = sdkClient(server.url);
      await expect(sdk.client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))).rejects.toMatchObject({ name });
      expect(server.received.length - ourAttempts).toBe(ourAttempts);
      expect(sdk.kinds[0]).toEqual(retried ? SDK_KIND[retried] : expect.not.stringMatching(/^(THROTTLING|TRANSIENT)$/));
      ours.destroy();
      sdk.client.destroy();
      await server.stop();
    });
  }

  it('answers without an error type as the SDK does: 502/503/504 pages and 429 retried, other 5xx and 4xx not', async () => {
    for (const [status, attempts] of [[502, 4], [504, 4], [429, 4], [501, 1], [505, 1], [403, 1]] as const) {
      const server = await faultServer(() => ({ status, body: '<html>proxy says no</html>', headers: { 'content-type': 'text/html' } }));
      const ours = ourClient(server.url);
      await expect(ours.call('GetItem', {})).rejects.toMatchObject({ code: `HTTP ${status}`, status });
      expect(server.received.length, `HTTP ${status}`).toBe(attempts);
      const sdk = sdkClient(server.url);
      await expect(sdk.client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }))).rejects.toBeDefined();
      expect(server.received.length - attempts, `HTTP ${status}, the SDK`).toBe(attempts);
      ours.destroy();
      sdk.client.destroy();
      await server.stop();
    }
  });

  it('has the store answer 503 StoreUnavailable for each, carrying DynamoDB’s code, after the same attempts', async () => {
    for (const { name, status, retried } of documented.filter((each) => each.name !== 'ConditionalCheckFailedException')) {
      const server = await faultServer(() => errorAnswer(status, name));
      const store = openDynamoDbStore('t', { clientConfig: { endpoint: server.url, region: 'us-east-1', credentials: CREDENTIALS } });
      const attempt = recordWithin(store, storedUpload(uploadRecord({ id: 'a', vars: {} })), 4_000);
      await expect(attempt, name).rejects.toMatchObject({ code: 'StoreUnavailable' });
      await expect(attempt, name).rejects.toHaveProperty('cause.code', name);
      expect(server.received.length, name).toBe(retried ? 4 : 1);
      await store.close();
      await server.stop();
    }
  });

  it('hands back the item a failed condition found, with the failure', async () => {
    const item = { pk: { S: 'u#a' }, fingerprint: { S: 'f' } };
    const server = await faultServer(() => ({ status: 400, body: JSON.stringify({ __type: type('ConditionalCheckFailedException'), message: 'The conditional request failed', Item: item }) }));
    const ours = ourClient(server.url);
    await expect(ours.call('PutItem', {})).rejects.toMatchObject({ code: 'ConditionalCheckFailedException', item });
    ours.destroy();
    await server.stop();
  });
});

describe('DynamoDB client clock skew', () => {
  /** A DynamoDB whose clock is `skewMs` from ours: it refuses a signature more than 5 minutes off its time, as DynamoDB does. */
  async function skewedServer(skewMs: number) {
    return faultServer(({ headers }) => {
      const serverNow = Date.now() + skewMs;
      const stamp = String(headers['x-amz-date']);
      const signedAt = Date.UTC(+stamp.slice(0, 4), +stamp.slice(4, 6) - 1, +stamp.slice(6, 8), +stamp.slice(9, 11), +stamp.slice(11, 13), +stamp.slice(13, 15));
      const date = new Date(serverNow).toUTCString();
      if (signedAt < serverNow - 300_000) return { ...errorAnswer(400, 'InvalidSignatureException', `Signature expired: ${stamp} is now earlier than ${new Date(serverNow - 300_000).toISOString()}`), headers: { date } };
      if (signedAt > serverNow + 300_000) return { ...errorAnswer(400, 'InvalidSignatureException', `Signature not yet current: ${stamp} is still later than ${new Date(serverNow + 300_000).toISOString()}`), headers: { date } };
      return { status: 200, body: '{}', headers: { date } };
    });
  }

  for (const [what, skewMs] of [['behind the service', 10 * 60_000], ['ahead of the service', -20 * 60_000]] as const) {
    it(`signs with the service's time after one refusal when our clock is ${what}, as the SDK does, and keeps it`, async () => {
      const server = await skewedServer(skewMs);
      const ours = ourClient(server.url);
      expect(await ours.call('GetItem', {})).toEqual({});
      expect(server.received.length).toBe(2);
      expect(await ours.call('GetItem', {})).toEqual({});
      expect(server.received.length).toBe(3);
      const sdk = sdkClient(server.url);
      await sdk.client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
      expect(server.received.length).toBe(5);
      ours.destroy();
      sdk.client.destroy();
      await server.stop();
    });
  }

  it('does not retry a signature refused while our clock agrees with the service’s', async () => {
    const server = await faultServer(() => errorAnswer(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'));
    const ours = ourClient(server.url);
    await expect(ours.call('GetItem', {})).rejects.toMatchObject({ code: 'InvalidSignatureException' });
    expect(server.received.length).toBe(1);
    ours.destroy();
    await server.stop();
  });
});

describe('DynamoDB client time limits: every call has them, with or without a signal', () => {
  it('gives up on a server that never answers after its attempts, each cut off by the first-byte limit', async () => {
    const server = await faultServer(() => 'hang');
    const ours = ourClient(server.url, { firstByteTimeoutMs: 50 });
    await expect(ours.call('DescribeTable', { TableName: 't' })).rejects.toMatchObject({ code: 'FirstByteTimeout', status: 0 });
    expect(server.received.length).toBe(4);
    ours.destroy();
    await server.stop();
  });

  it('gives up on a connection that never completes, by the connect limit', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const ours = ourClient(`https://127.0.0.1:${(silent.address() as AddressInfo).port}`, { connectTimeoutMs: 50, maxAttempts: 2 });
    await expect(ours.call('DescribeTable', {})).rejects.toMatchObject({ code: 'ConnectTimeout' });
    expect(sockets).toHaveLength(2);
    ours.destroy();
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  it('retries a 200 whose body was cut, so a write that happened is answered as written, not 503 (dynalite behind the fault proxy)', async () => {
    const local: Dynalite = await startDynalite();
    const table = freshTableName();
    const direct = openDynamoDbStore(table, { clientConfig: local.clientConfig });
    await direct.init();
    const proxy = await startFaultProxy(local.endpoint, { returnItemOnConditionFailure: true });
    const store = openDynamoDbStore(table, { clientConfig: dynamoClientConfig(proxy.endpoint) });
    const upload = storedUpload(uploadRecord({ id: 'cut', vars: {} }));
    proxy.inject('PutItem', { kind: 'cut-answer' });
    // The first PutItem wrote the record and its answer broke off; the second finds it there.
    expect(await recordWithin(store, upload)).toEqual({ record: upload.record, replayed: true });
    expect(proxy.seen).toEqual({ PutItem: 2 });
    expect(await direct.get('cut')).toEqual(upload);
    await Promise.all([store.close(), direct.close(), proxy.stop(), local.stop()]);
  });

  it('retries a 200 whose body is not JSON (a proxy’s page), and answers what the retry finds', async () => {
    const server = await faultServer((_, index) => (index === 0 ? { status: 200, body: '<html>gateway</html>' } : { status: 200, body: '{"Item":{"pk":{"S":"a"}}}' }));
    const ours = ourClient(server.url);
    expect(await ours.call('GetItem', {})).toEqual({ Item: { pk: { S: 'a' } } });
    expect(server.received.length).toBe(2);
    ours.destroy();
    await server.stop();
  });
});

describe('SigV4, our signer against the AWS SDK’s as oracle', () => {
  /** Node's SHA-256 in the shape @smithy/signature-v4 asks for (a hash, or an HMAC with a secret). */
  class Sha256 {
    readonly #hash;
    constructor(secret?: unknown) {
      this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret as string | Uint8Array);
    }
    update(data: string | Uint8Array): void {
      this.#hash.update(data);
    }
    async digest(): Promise<Uint8Array> {
      return this.#hash.digest();
    }
  }

  const operations = ['PutItem', 'GetItem', 'BatchGetItem', 'BatchWriteItem', 'Query', 'DescribeTable', 'CreateTable', 'UpdateTimeToLive'];
  const regions = ['us-east-1', 'eu-central-1', 'ap-southeast-1', 'cn-north-1', 'us-gov-west-1', 'us-isob-east-1', 'eusc-de-east-1', 'local'];
  const endpoint = fc.oneof(
    fc.constantFrom(...regions).chain((region) => fc.constantFrom(...PARTITIONS.map((p) => `https://dynamodb.${region}.${p.dnsSuffix}`))),
    fc.integer({ min: 1, max: 65_535 }).map((port) => `http://127.0.0.1:${port}`),
    fc.constantFrom('http://localhost:8000', 'https://dynamodb-fips.us-east-1.amazonaws.com', 'https://vpce-1a2b.dynamodb.eu-west-1.vpce.amazonaws.com', 'http://[::1]:8000'),
  );
  const input = fc.record({
    operation: fc.constantFrom(...operations),
    table: fc.stringMatching(/^[A-Za-z0-9_.-]{3,40}$/),
    key: fc.string({ unit: 'grapheme', maxLength: 40 }),
    region: fc.constantFrom(...regions),
    endpoint,
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,24}$/),
    secretAccessKey: fc.stringMatching(/^[A-Za-z0-9/+]{20,40}$/),
    sessionToken: fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{20,200}$/), { nil: undefined }),
    date: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
  });

  it('gives the same Authorization as @smithy/signature-v4 on generated requests', async () => {
    await fc.assert(
      fc.asyncProperty(input, async ({ operation, table, key, region, endpoint, accessKeyId, secretAccessKey, sessionToken, date }) => {
        const url = new URL(endpoint);
        const body = JSON.stringify({ TableName: table, Key: { pk: { S: key } } });
        const headers = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` };
        const credentials = { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
        const ours = signSigV4({ url, region, service: 'dynamodb', headers, body }, credentials, date);
        const signer = new SignatureV4({ credentials, region, service: 'dynamodb', sha256: Sha256, applyChecksum: false });
        const request = { method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: '/', headers: { ...headers, host: url.host }, body };
        const theirs = await signer.sign(request, { signingDate: date });
        expect(ours.authorization).toBe(theirs.headers.authorization);
        expect(ours['x-amz-date']).toBe(theirs.headers['x-amz-date']);
        expect(ours['x-amz-security-token']).toBe(theirs.headers['x-amz-security-token']);
      }),
      { numRuns: 300 },
    );
  });

  it('signs what the AWS SDK’s DynamoDB client puts on the wire to the same Authorization', async () => {
    const server = await faultServer(() => ({ status: 200, body: '{}' }));
    await fc.assert(
      fc.asyncProperty(input, async ({ table, key, region, accessKeyId, secretAccessKey, sessionToken }) => {
        const credentials = { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
        const client = new DynamoDBClient({ endpoint: server.url, region, credentials, maxAttempts: 1 });
        await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key } } }));
        client.destroy();
        const { headers, body } = server.received.at(-1)!;
        const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(headers.authorization))![1]!.split(';');
        const ownHeaders = Object.fromEntries(signedHeaders.filter((name) => !['host', 'x-amz-date', 'x-amz-security-token'].includes(name)).map((name) => [name, String(headers[name])]));
        const stamp = String(headers['x-amz-date']);
        const date = new Date(`${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`);
        const ours = signSigV4({ url: new URL(server.url), region, service: 'dynamodb', headers: ownHeaders, body }, credentials, date);
        expect(ours.authorization).toBe(headers.authorization);
      }),
      { numRuns: 40 },
    );
    await server.stop();
  });
});

describe('DynamoDB client in a store: one quota per client', () => {
  let local: Dynalite;
  beforeAll(async () => {
    local = await startDynalite();
  });
  afterAll(() => local.stop());

  it('refunds a retry on success: a call that needed one leaves the quota where it was', async () => {
    const proxy = await startFaultProxy(local.endpoint);
    const client = new DynamoDbClient(dynamoClientConfig(proxy.endpoint));
    const table = freshTableName();
    await client.call('CreateTable', { TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
    const full = client.retryCapacity;
    proxy.inject('GetItem', { kind: 'server-error' });
    await client.call('GetItem', { TableName: table, Key: { pk: { S: 'a' } } });
    expect(proxy.seen.GetItem).toBe(2);
    expect(client.retryCapacity).toBe(full);
    client.destroy();
    await proxy.stop();
  });
});

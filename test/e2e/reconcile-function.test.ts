import OSS from 'ali-oss';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fc3, reconciler as fcReconciler } from '../../functions/reconcile-fc.js';
import { lambda, reconciler as lambdaReconciler } from '../../functions/reconcile-lambda.js';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import type { EventOutcome } from '../../lib/reconcile/record-events.js';
import type { ReconcileSummary } from '../../lib/reconcile/reconcile.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { openDynamoDbStore } from '../../lib/store/dynamodb.js';
import { uploadId } from '../../lib/store/upload-id.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { startDynalite, freshTableName, type Dynalite } from '../support/dynalite.js';
import { startTablestoreServer, type TablestoreServer } from '../support/tablestore-server.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The reconcile function's handlers on a laptop, recording into the stores they are deployed with: the
 * simulator posts an OSS-trigger event for every object it creates (--notify-url) to a small HTTP
 * adapter that hands it, as a Buffer, to the FC handler functions/reconcile-fc.ts exports, recording
 * into Tablestore (the test server), where the receiver records too; the callback for the same upload
 * then replaces the event's record. And the scheduled runs: FC's timer trigger, and Lambda's
 * EventBridge schedule recording into DynamoDB (dynalite), against the same simulator.
 */
const BUCKET = 'event-bucket';
const PAIR = { accessKeyId: 'LTAI-function', accessKeySecret: 'function-secret' };
/** The function role's STS credentials, as FC hands them to each invocation; Tablestore checks them. */
const ROLE = { accessKeyId: 'STS.reconcile', accessKeySecret: 'role-secret', securityToken: 'role-token' };
const ROOT = process.cwd();
const STORE = 'tablestore:uploads/upload_records';

const dir = tempDir('oss-reconcile-function-');
let tablestore: TablestoreServer;
let dynalite: Dynalite;
let sim: Simulator;
let receiver: LocalServer;
let adapter: Server;
let client: OSS;
const delivered: EventOutcome[][] = [];

/** The local stand-in for Function Compute's OSS trigger: each POSTed event, as a Buffer, to the FC handler. */
async function startEventAdapter(): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const outcomes = (await fc3(Buffer.concat(chunks), { requestId: 'local', credentials: ROLE, function: { timeout: 60 } })) as EventOutcome[];
    delivered.push(outcomes);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(outcomes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oss/events` };
}

beforeAll(async () => {
  tablestore = await startTablestoreServer({ instance: 'uploads', credentials: [ROLE] });
  dynalite = await startDynalite();
  for (const [name, value] of Object.entries({
    UPLOAD_STORE: STORE,
    TABLESTORE_ENDPOINT: tablestore.endpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: ROLE.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: ROLE.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: ROLE.securityToken,
    LOG_LEVEL: 'silent',
  })) vi.stubEnv(name, value);
  const events = await startEventAdapter();
  adapter = events.server;
  const trustedKeys = join(dir, 'trusted-keys.json');
  sim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, credentials: PAIR, trustedKeysOut: trustedKeys, notifyUrl: events.url });
  // The receiver records into the same table; its start creates it, as s.yaml's store init does.
  receiver = await startLocalServer({ config: loadConfig({ UPLOAD_STORE: STORE, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, LOG_LEVEL: 'silent' }), port: 0, logger: silentLogger });
  client = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, ...PAIR });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  fcReconciler.reset();
  lambdaReconciler.reset();
  await receiver?.close();
  await sim?.close();
  adapter?.close();
  await Promise.all([tablestore?.close(), dynalite?.stop()]);
});

const stored = async (key: string, etag: string) => (await receiver.store.get(uploadId({ bucket: BUCKET, object: key, etag }, { facts: 'unused' })))?.record;

describe('the OSS trigger, from the simulator’s --notify-url to the FC handler', () => {
  it('records an upload from its event as soon as it is stored, under the upload’s request id', async () => {
    const result = await client.put('events/only.txt', Buffer.from('no callback'), { headers: { 'x-oss-meta-album': 'holiday' } } as OSS.PutObjectOptions);
    const reqId = (result.res.headers as Record<string, string>)['x-oss-request-id'];
    const etag = String((result.res.headers as Record<string, string>).etag).replace(/"/g, '');
    expect(delivered.at(-1)).toEqual([{ eventName: 'ObjectCreated:PutObject', bucket: BUCKET, object: 'events/only.txt', outcome: 'recorded', source: 'event' }]);
    expect(await stored('events/only.txt', etag)).toMatchObject({
      source: 'event',
      object: 'events/only.txt',
      etag,
      size: 'no callback'.length,
      mimeType: 'text/plain',
      reqId,
      operation: 'PutObject',
      clientIp: '127.0.0.1',
      metadata: { album: 'holiday' },
      vars: {},
    });
  });

  it('gives way to the callback for the same upload, which answers with its own record', async () => {
    const result = await client.put('events/called.txt', Buffer.from('called back'), {
      callback: { url: `${receiver.url}/oss/callback`, body: callbackBodyTemplate('form', ['uid']), customValue: { uid: '42' } },
    });
    expect(delivered.at(-1)).toEqual([expect.objectContaining({ object: 'events/called.txt', outcome: 'recorded' })]);
    const answered = (result.data as { record: UploadRecord }).record;
    expect(answered).toMatchObject({ source: 'callback', vars: { 'x:uid': '42' }, reqId: (result.res.headers as Record<string, string>)['x-oss-request-id'] });
    expect(await stored('events/called.txt', answered.etag!)).toEqual(answered);
  });

  it('records a key that may be URL-encoded under the spelling OSS holds, asked with HeadObject', async () => {
    for (const [name, value] of Object.entries({ OSS_REGION: 'cn-hangzhou', OSS_ENDPOINT: sim.url, OSS_ACCESS_KEY_ID: PAIR.accessKeyId, OSS_ACCESS_KEY_SECRET: PAIR.accessKeySecret })) vi.stubEnv(name, value);
    try {
      const result = await client.put('events/plus+sign 100%.txt', Buffer.from('plus'));
      const etag = String((result.res.headers as Record<string, string>).etag).replace(/"/g, '');
      expect(delivered.at(-1)).toEqual([expect.objectContaining({ object: 'events/plus+sign 100%.txt', outcome: 'recorded', source: 'event' })]);
      expect(await stored('events/plus+sign 100%.txt', etag)).toMatchObject({ source: 'event', object: 'events/plus+sign 100%.txt' });
    } finally {
      for (const name of ['OSS_REGION', 'OSS_ENDPOINT', 'OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET']) vi.stubEnv(name, undefined);
    }
  });

  it('cannot match a callback without ${etag}: its record is keyed by its reqId, beside the event’s', async () => {
    const result = await client.put('events/no-etag.txt', Buffer.from('x'), { callback: { url: `${receiver.url}/oss/callback`, body: 'bucket=${bucket}&object=${object}&reqId=${reqId}' } });
    const answered = (result.data as { record: UploadRecord }).record;
    expect(answered.id).toBe(`req:${answered.reqId}`);
    expect((await receiver.store.get(answered.id))?.record.source).toBe('callback');
    const etag = String((result.res.headers as Record<string, string>).etag).replace(/"/g, '');
    expect(await stored('events/no-etag.txt', etag)).toMatchObject({ source: 'event', reqId: answered.reqId });
  });
});

describe('the scheduled run', () => {
  // Each test a cold start, with the environment it sets.
  const coldStart = () => {
    fcReconciler.reset();
    lambdaReconciler.reset();
  };
  beforeAll(coldStart);
  afterEach(coldStart);
  const window = { OSS_CALLBACK_BUCKETS: BUCKET, OSS_REGION: 'cn-hangzhou', OSS_RECONCILE_GRACE: '0s' };
  const schedule = JSON.parse(readFileSync(join(ROOT, 'events/reconcile/lambda-schedule.json'), 'utf8')) as unknown;

  /** The Lambda function's environment with its own read-only key, recording into a fresh table as serverless.yml declares it. */
  async function onLambdaWithDynamoDb() {
    const table = freshTableName();
    for (const [name, value] of Object.entries({
      ...window,
      OSS_ENDPOINT: sim.url,
      OSS_ACCESS_KEY_ID: PAIR.accessKeyId,
      OSS_ACCESS_KEY_SECRET: PAIR.accessKeySecret,
      UPLOAD_STORE: `dynamodb:${table}`,
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    })) vi.stubEnv(name, value);
    const records = await openDynamoDbStore(table);
    await records.init();
    return records;
  }

  it('on FC (timer trigger, the role’s STS credentials) finds every upload already recorded by its event or callback', async () => {
    // The same bucket, checking the role's credentials, as OSS accepts any the RAM role allows.
    const roleSim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, credentials: ROLE });
    for (const [name, value] of Object.entries({ ...window, OSS_ENDPOINT: roleSim.url, OSS_ACCESS_KEY_ID: '', OSS_ACCESS_KEY_SECRET: '' })) vi.stubEnv(name, value);
    try {
      const timer = readFileSync(join(ROOT, 'events/reconcile/fc3-timer.json'));
      const [summary] = (await fc3(timer, { credentials: ROLE, function: { timeout: 300 } })) as ReconcileSummary[];
      expect(summary).toMatchObject({ bucket: BUCKET, listed: 4, alreadyRecorded: 4, recorded: 0, failed: 0, uploads: { callback: 1, event: 3, total: 4 } });
    } finally {
      await roleSim.close();
    }
  });

  it('on Lambda (EventBridge schedule, its own read-only key) records into DynamoDB what no callback recorded, once', async () => {
    const records = await onLambdaWithDynamoDb();
    const [first] = await lambda(schedule, { getRemainingTimeInMillis: () => 300_000 });
    expect(first).toMatchObject({ bucket: BUCKET, listed: 4, recorded: 4, failed: 0 });
    const [second] = await lambda(schedule, { getRemainingTimeInMillis: () => 300_000 });
    expect(second).toMatchObject({ listed: 4, alreadyRecorded: 4, recorded: 0 });
    expect((await records.list({ bucket: BUCKET, source: 'reconcile' })).map((record) => record.object).sort()).toEqual([
      'events/called.txt',
      'events/no-etag.txt',
      'events/only.txt',
      'events/plus+sign 100%.txt',
    ]);
    await records.close();
  });

  it('stops within the time the platform leaves, without failing, and the next invocation goes on from there', async () => {
    await (await onLambdaWithDynamoDb()).close();
    // Ten seconds left is the margin the function keeps for itself: no time to list.
    const [cut] = await lambda(schedule, { getRemainingTimeInMillis: () => 10_000 });
    expect(cut).toMatchObject({ bucket: BUCKET, complete: false, recorded: 0, left: { folder: '', after: null } });
    const [next] = await lambda(schedule, { getRemainingTimeInMillis: () => 300_000 });
    expect(next).toMatchObject({ resumed: true, complete: true, from: cut!.from, to: cut!.to, failed: 0 });
    expect(next!.recorded).toBeGreaterThan(0);
  });

  it('fails the invocation, saying why, when the bucket cannot be listed, and refuses an event it does not know', async () => {
    vi.stubEnv('UPLOAD_STORE', 'memory:');
    vi.stubEnv('OSS_CALLBACK_BUCKETS', BUCKET);
    vi.stubEnv('OSS_REGION', 'cn-hangzhou');
    vi.stubEnv('OSS_ENDPOINT', sim.url);
    vi.stubEnv('OSS_ACCESS_KEY_ID', PAIR.accessKeyId);
    vi.stubEnv('OSS_ACCESS_KEY_SECRET', 'wrong');
    await expect(fc3(Buffer.from(JSON.stringify({ triggerTime: '2026-01-01T00:00:00Z' })), {})).rejects.toThrow(
      /^the scheduled reconcile did not account for every object: OSS refused the credentials \(SignatureDoesNotMatch\)/,
    );
    await expect(fc3(Buffer.from('{"hello":"world"}'), {})).rejects.toThrow(/takes a timer trigger event \(\{triggerTime\}\) or an OSS trigger event \(\{events\}\)/);
    await expect(lambda({ hello: 'world' }, { getRemainingTimeInMillis: () => 1000 })).rejects.toThrow(/not a Scheduled Event/);
  });
});

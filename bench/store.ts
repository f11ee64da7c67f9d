import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import Database from 'better-sqlite3';
import type { CallbackRequest } from '../lib/exchange.js';
import { silentLogger } from '../lib/logger.js';
import { signedCallback } from '../lib/protocol/sign.js';
import { pinnedKeys } from '../lib/protocol/trusted-keys.js';
import { KeyResolver } from '../lib/protocol/verify.js';
import { createPipeline } from '../lib/receiver.js';
import { openDynamoDbStore } from '../lib/store/dynamodb.js';
import { sortKey } from '../lib/store/list-query.js';
import type { UploadStore } from '../lib/store/port.js';
import type { UploadRecord } from '../lib/store/record.js';
import { openSqliteStore } from '../lib/store/sqlite.js';
import { startDynalite } from '../scripts/dynalite.js';
import { percentile, type BenchLine } from './report.js';

const DURATION_MS = 2000;
const WARM_UP = 100;

function record(id: string): UploadRecord {
  return {
    id, source: 'callback', bucket: 'bench', object: `uploads/${id}.jpg`, etag: 'D41D8CD98F00B204E9800998ECF8427E', size: 1024, mimeType: 'image/jpeg',
    crc64: '18446744073709551615', contentMd5: null, operation: 'PutObject', reqId: id, clientIp: '203.0.113.7', vpcId: null,
    image: null, vars: { 'x:uid': '42', 'x:album': 'bench' }, uploader: 'bench', lastModified: null, metadata: {}, receivedAt: new Date().toISOString(),
  };
}

/**
 * One operation at a time until DURATION_MS of them have run, each on a new id: operations per
 * second of their own time and p99 in ms. `prepare` (signing a callback) runs outside the clock.
 */
async function measure<T>(prepare: (id: string) => T, write: (input: T) => Promise<unknown>): Promise<{ perSecond: number; p99: number }> {
  for (let i = 0; i < WARM_UP; i++) await write(prepare(randomUUID().replaceAll('-', '')));
  const latencies: number[] = [];
  let spent = 0;
  while (spent < DURATION_MS) {
    const input = prepare(randomUUID().replaceAll('-', ''));
    const before = performance.now();
    await write(input);
    const took = performance.now() - before;
    latencies.push(took);
    spent += took;
  }
  return { perSecond: latencies.length / (spent / 1000), p99: percentile(latencies, 99) };
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 512 });
const KEY_URL = 'https://bench.invalid/key.pem';

/** A callback as OSS would send it for the upload `id`, with two custom variables. */
function callbackFor(id: string): CallbackRequest {
  const body = `bucket=bench&object=uploads%2F${id}.jpg&etag=D41D8CD98F00B204E9800998ECF8427E&size=1024&mimeType=image%2Fjpeg&crc64=18446744073709551615&reqId=${id}&operation=PutObject&x:uid=42&x:album=bench`;
  return signedCallback({ privateKey, keyUrl: KEY_URL, url: 'https://cb.example.com/oss/callback', body: Buffer.from(body), contentType: 'application/x-www-form-urlencoded' });
}

/**
 * Callbacks through the receiver (verify, parse, one conditional write, answer) into `store`, against
 * `bare`, one plain insert of the same record into the same store.
 */
async function compare(label: string, bareName: string, store: UploadStore, bare: (id: string) => Promise<unknown>): Promise<BenchLine[]> {
  const receiver = createPipeline({ limits: { deadlineMs: 4_000, maxBodyBytes: 65_536 }, store, keys: new KeyResolver(pinnedKeys(new Map([[KEY_URL, publicKey]]))), logger: silentLogger });
  const ours = await measure(callbackFor, async (request) => {
    const response = await receiver.handle(request);
    if (response.status !== 200) throw new Error(`the receiver answered ${response.status}: ${response.body}`);
  });
  const baseline = await measure((id) => id, bare);
  return [
    { name: `${label}: callbacks recorded`, value: ours.perSecond, unit: 'records/s', baseline: { name: bareName, value: baseline.perSecond } },
    { name: `${label}: one callback, p99`, value: ours.p99, unit: 'ms', baseline: { name: `${bareName} p99`, value: baseline.p99 } },
  ];
}

async function sqlite(dir: string): Promise<BenchLine[]> {
  const path = join(dir, 'uploads.db');
  const store = openSqliteStore(path);
  const db = new Database(path);
  const insert = db.prepare(
    "INSERT INTO upload_records (id, fingerprint, source, record, bucket, object, uploader, received_at) VALUES (?, ?, 'callback', ?, ?, ?, ?, ?)",
  );
  const bare = async (id: string) => {
    const { bucket, object, uploader, receivedAt } = record(id);
    insert.run(id, id, JSON.stringify(record(id)), bucket, object, uploader, receivedAt);
  };
  try {
    return await compare('sqlite', 'bare INSERT', store, bare);
  } finally {
    db.close();
    await store.close();
  }
}

async function dynamodb(): Promise<BenchLine[]> {
  const local = await startDynalite();
  const clientConfig = {
    endpoint: local.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
  const table = 'bench-uploads';
  const store = openDynamoDbStore(table, { clientConfig });
  await store.init();
  const client = new DynamoDBClient(clientConfig);
  // The same item a complete record is, written unconditionally in one request.
  const bare = (id: string) => {
    const item = { pk: `u#${id}`, fingerprint: id, source: 'callback', record: JSON.stringify(record(id)), bucket: 'bench', objectKey: `uploads/${id}.jpg`, sortKey: sortKey(record(id)), timeShard: '0', uploader: 'bench' };
    return client.send(new PutItemCommand({ TableName: table, Item: marshall(item) }));
  };
  try {
    return await compare('dynalite', 'bare PutItem', store, bare);
  } finally {
    client.destroy();
    await store.close();
    await local.stop();
  }
}

/**
 * Callbacks recorded through the receiver one at a time (one conditional write of the record, with
 * two custom variables to index), against one plain insert of the same record into the same store,
 * in the same process.
 */
export async function run(): Promise<BenchLine[]> {
  const dir = mkdtempSync(join(tmpdir(), 'oss-callback-bench-store-'));
  try {
    return [...(await sqlite(dir)), ...(await dynamodb())];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

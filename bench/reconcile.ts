import { createOssClient, type OssClient } from '../lib/oss/client.js';
import { ossLocation } from '../lib/oss/location.js';
import { reconcile, type ReconcileSummary } from '../lib/reconcile/reconcile.js';
import { MemoryStore } from '../lib/store/memory.js';
import type { UploadStore } from '../lib/store/port.js';
import { startFakeOss, type FakeObject } from '../test/support/fake-oss.js';
import type { BenchLine } from './report.js';

/**
 * Reconcile over a fake bucket of 100,000 objects on loopback (test/support/fake-oss.ts, in this
 * process), into the memory store: the first run finds every object missing (a HeadObject and a
 * write each), the second finds every one recorded. Each beside the floor, a loop that only lists
 * the same bucket (signed ListObjectsV2 pages, keys counted, nothing parsed beyond the token); and
 * the store requests per object listed beside a second run through a store without getMany, one
 * read per object, as reconcile read before it read in batches.
 */
const OBJECTS = 100_000;
const BUCKET = 'bench-bucket';
const CREDENTIALS = { accessKeyId: 'LTAI-bench', accessKeySecret: 'bench-secret' };

function bucketObjects(): FakeObject[] {
  const at = Date.now() - 3_600_000;
  return Array.from({ length: OBJECTS }, (_, n) => ({ key: `photos/${String(n).padStart(7, '0')}.jpg`, etag: n.toString(16).padStart(32, '0').toUpperCase(), size: n, lastModified: at }));
}

/** The floor: signed pages of 1000 keys, one after the other, each key counted. */
async function listOnly(oss: OssClient): Promise<number> {
  let count = 0;
  let token: string | undefined;
  do {
    const query: [string, string][] = [
      ['list-type', '2'],
      ['encoding-type', 'url'],
      ['max-keys', '1000'],
    ];
    if (token) query.push(['continuation-token', token]);
    const xml = (await oss.send({ method: 'GET', bucket: BUCKET, key: '', query })).body.toString('utf8');
    count += xml.split('<Key>').length - 1;
    const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
    token = /<IsTruncated>true</.test(xml) && next ? decodeURIComponent(next) : undefined;
  } while (token);
  if (count !== OBJECTS) throw new Error(`the floor listed ${count} objects of ${OBJECTS}`);
  return count;
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

const storeRequestsPerObject = (summary: ReconcileSummary) => (summary.requests.storeReads + summary.requests.storeWrites) / summary.listed;

export async function run(): Promise<BenchLine[]> {
  const fake = await startFakeOss(bucketObjects());
  const oss = createOssClient({ location: ossLocation({ region: 'cn-hangzhou', endpoint: fake.url }, { region: 'r', endpoint: 'e' }), credentials: () => CREDENTIALS });
  const store = new MemoryStore();
  const pass = (into: UploadStore) => reconcile({ store: into, oss, bucket: BUCKET, prefix: 'photos/', from: new Date(0), to: new Date(), checkpoint: 'bench' });
  try {
    const floor = await timed(() => listOnly(oss));
    const first = await timed(() => pass(store));
    const second = await timed(() => pass(store));
    // The same store, read one object at a time: what the port's getMany fallback (and reconcile before batches) does.
    const perObject: UploadStore = {
      description: store.description,
      get: (id) => store.get(id),
      create: (upload) => store.create(upload),
      list: (query) => store.list(query),
      bind: (binding) => store.bind(binding),
      init: () => store.init(),
      close: () => store.close(),
    };
    const unbatched = await timed(() => pass(perObject));
    for (const { result } of [first, second, unbatched]) {
      if (!result.complete || result.listed !== OBJECTS) throw new Error(`a run did not settle the ${OBJECTS} objects: ${JSON.stringify({ ...result, failures: result.failures.slice(0, 3) })}`);
    }
    const floorRate = { name: 'listing only', value: floor.result / floor.seconds };
    return [
      { name: `first run, ${OBJECTS} objects all missing`, value: OBJECTS / first.seconds, unit: 'objects/s', baseline: floorRate },
      { name: 'second run, all recorded', value: OBJECTS / second.seconds, unit: 'objects/s', baseline: floorRate },
      { name: 'first run: store requests per object', value: storeRequestsPerObject(first.result), unit: 'requests/object' },
      {
        name: 'second run: store requests per object',
        value: storeRequestsPerObject(second.result),
        unit: 'requests/object',
        baseline: { name: 'one read per object', value: storeRequestsPerObject(unbatched.result) },
      },
      { name: 'second run: HeadObject per object', value: second.result.requests.head / OBJECTS, unit: 'requests/object' },
    ];
  } finally {
    oss.close();
    await fake.close();
  }
}

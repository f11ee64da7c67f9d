import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDynamoDbStore } from '../../lib/store/dynamodb.js';
import { MemoryStore } from '../../lib/store/memory.js';
import type { UploadStore } from '../../lib/store/port.js';
import type { RecordSource } from '../../lib/store/record.js';
import { openSqliteStore } from '../../lib/store/sqlite.js';
import { openTablestoreStore } from '../../lib/store/tablestore.js';
import { uploadStats, type UploadStats } from '../../lib/stats/upload-stats.js';
import { runCli } from '../support/cli-io.js';
import { freshTableName, startDynalite, type Dynalite } from '../support/dynalite.js';
import { startTablestoreServer, type TablestoreServer } from '../support/tablestore-server.js';
import { tempDir } from '../support/temp-dir.js';
import { fingerprintOf, storedUpload, uploadRecord } from '../support/upload-records.js';

/**
 * `oss-callback stats` over every store, as a user runs it against each: the same uploads of every
 * source over six hours, two of them empty, give the same exact counts, the empty hours as zeros.
 * Memory cannot be reached from another command, so its counts come from the same code in-process.
 */
const originalZone = process.env.TZ;
const TABLESTORE = { instance: 'stats', credentials: { accessKeyId: 'ts-stats', accessKeySecret: 'ts-stats-secret' } };
const dir = tempDir('oss-stats-stores-');
let dynalite: Dynalite;
let tablestore: TablestoreServer;

beforeAll(async () => {
  process.env.TZ = 'UTC';
  [dynalite, tablestore] = await Promise.all([startDynalite(), startTablestoreServer({ instance: TABLESTORE.instance, credentials: [TABLESTORE.credentials] })]);
});
afterAll(async () => {
  process.env.TZ = originalZone;
  await Promise.all([dynalite?.stop(), tablestore?.close()]);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

/** Uploads per hour from 08:00, by source; hours 10 and 12 have none. */
const HOURS: Partial<Record<RecordSource, number>>[] = [
  { callback: 5, event: 1 },
  { callback: 3, reconcile: 2 },
  {},
  { event: 2, reconcile: 1 },
  {},
  { callback: 4, event: 1, reconcile: 1 },
];

async function fill(store: UploadStore): Promise<void> {
  await store.init();
  let n = 0;
  for (const [h, sources] of HOURS.entries()) {
    for (const [source, count] of Object.entries(sources) as [RecordSource, number][]) {
      for (let i = 0; i < count; i++) {
        const receivedAt = new Date(Date.UTC(2026, 10, 24, 8 + h, 7 * i, 30)).toISOString();
        const id = `upload-${++n}`;
        await store.create(storedUpload(uploadRecord({ id, source, receivedAt, ...(source === 'callback' ? {} : { vars: {}, uploader: null }) }), fingerprintOf(id)));
      }
    }
  }
  // One of the events then gets its callback, in the next hour: it counts there, as a callback.
  await store.create(storedUpload(uploadRecord({ id: 'upload-6', receivedAt: '2026-11-24T09:59:00.000Z' }), fingerprintOf('callback 6')));
}

const WINDOW = ['--since', '2026-11-24T08:00Z', '--until', '2026-11-24T14:00Z', '--by', 'hour'];

const stores: [string, () => Promise<UploadStats>][] = [
  [
    'memory',
    async () => {
      const store = new MemoryStore();
      await fill(store);
      return uploadStats(store, { since: new Date('2026-11-24T08:00Z'), until: new Date('2026-11-24T14:00Z'), by: 'hour' });
    },
  ],
  [
    'sqlite',
    async () => {
      const path = join(dir, `${randomUUID()}.db`);
      const store = openSqliteStore(path);
      await fill(store);
      await store.close();
      return cliStats(`sqlite:${path}`);
    },
  ],
  [
    'dynamodb (dynalite)',
    async () => {
      const table = freshTableName();
      const store = openDynamoDbStore(table, { clientConfig: dynalite.clientConfig });
      await fill(store);
      await store.close();
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', dynalite.endpoint);
      vi.stubEnv('AWS_REGION', 'us-east-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
      return cliStats(`dynamodb:${table}`);
    },
  ],
  [
    'tablestore (wire server)',
    async () => {
      const table = `stats_${randomUUID().slice(0, 8)}`;
      const store = await openTablestoreStore(TABLESTORE.instance, table, { endpoint: tablestore.endpoint, aliyunCredentials: () => TABLESTORE.credentials });
      await fill(store);
      await store.close();
      vi.stubEnv('TABLESTORE_ENDPOINT', tablestore.endpoint);
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', TABLESTORE.credentials.accessKeyId);
      vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', TABLESTORE.credentials.accessKeySecret);
      return cliStats(`tablestore:${TABLESTORE.instance}/${table}`);
    },
  ],
];

async function cliStats(uri: string): Promise<UploadStats> {
  const { code, stdout, stderr } = await runCli(['stats', '--store', uri, ...WINDOW, '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as UploadStats;
}

const hour = (h: number) => `2026-11-24T${String(h).padStart(2, '0')}:00:00.000Z`;
const expected = [
  { callback: 5, event: 0, reconcile: 0, total: 5, coverage: 1 },
  { callback: 4, event: 0, reconcile: 2, total: 6, coverage: 0.6667 },
  { callback: 0, event: 0, reconcile: 0, total: 0, coverage: null },
  { callback: 0, event: 2, reconcile: 1, total: 3, coverage: 0 },
  { callback: 0, event: 0, reconcile: 0, total: 0, coverage: null },
  { callback: 4, event: 1, reconcile: 1, total: 6, coverage: 0.6667 },
].map((counts, h) => ({ start: hour(8 + h), end: hour(9 + h), ...counts }));

describe.each(stores)('oss-callback stats over %s', (_name, statsOf) => {
  it('counts every source in every hour exactly, and the hours without uploads as zeros', async () => {
    const stats = await statsOf();
    expect(stats.periods).toEqual(expected);
    expect(stats.overall).toEqual({ callback: 13, event: 3, reconcile: 4, total: 20, coverage: 0.65 });
  });
});

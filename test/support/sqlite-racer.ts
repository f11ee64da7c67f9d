/**
 * One of several processes racing on one SQLite file (the store contract's multi-process test):
 * `<runtime> sqlite-racer.mjs <path> <start epoch ms>` waits for the start, records the same 40 ids
 * through the real store and recordUpload, and prints the ids it was first to write as JSON.
 */
import { createBudget } from '../../lib/deadline.js';
import { recordUpload } from '../../lib/store/record-upload.js';
import { openSqliteStore } from '../../lib/store/sqlite.js';
import { uploadRecord } from './upload-records.js';

const [path, start] = process.argv.slice(-2) as [string, string];
const store = openSqliteStore(path);
while (Date.now() < Number(start)) await new Promise((resolve) => setTimeout(resolve, 1));
const fresh: string[] = [];
for (let i = 0; i < 40; i++) {
  const record = uploadRecord({ id: `id-${i}`, object: `k${i}`, etag: null, vars: { 'x:pid': String(process.pid) }, receivedAt: new Date().toISOString() });
  const budget = createBudget(Date.now() + 4_000);
  const { replayed } = await recordUpload(store, { record, fingerprint: 'f' }, budget);
  budget.dispose();
  if (!replayed) fresh.push(record.id);
}
await store.close();
console.log(JSON.stringify(fresh));

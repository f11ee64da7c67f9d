import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the worker copies the write-ahead log back into the database file. */
const INTERVAL_MS = 500;

/**
 * Runs in the worker, as CommonJS: its own connection to the file (opening may wait for another
 * process: this thread serves nothing else), a PASSIVE checkpoint every interval (it never blocks a
 * writer; a locked file just skips a turn).
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 5000 });
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * WAL checkpoints off the event loop. SQLite copies the log back into the database file (and
 * fsyncs it) in whichever connection commits past 1000 pages: better-sqlite3 runs that on the
 * event loop, a pause of several milliseconds every few hundred callbacks. The caller turns its own
 * automatic checkpoints off and this worker thread, with a connection of its own, does them instead.
 * If the worker cannot run, `onFailure` hears it (the caller turns its own checkpoints back on).
 */
export function startCheckpointer(path: string, onFailure: (error: unknown) => void): Checkpointer {
  // Resolved here, where this package's own node_modules are in reach, whatever the worker's directory.
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { driver, path, intervalMs: INTERVAL_MS } });
  let stopping = false;
  worker.unref();
  worker.once('error', onFailure);
  worker.once('exit', (code) => {
    if (!stopping) onFailure(new Error(`the checkpoint worker exited with ${code}`));
  });
  return {
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}

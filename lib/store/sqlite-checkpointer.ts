import { Worker } from 'node:worker_threads';
import { betterSqlite3Path, type SqliteDriverName } from './sqlite-driver.js';

/** How often the worker copies the write-ahead log back into the database file. */
const INTERVAL_MS = 500;

/**
 * Runs in the worker, as CommonJS, on the store's own driver: its own connection (opening may wait
 * for another process: this thread serves nothing else), a PASSIVE checkpoint every interval (it
 * never blocks a writer; a locked file just skips a turn).
 */
const WORKER = `
const { workerData: w, parentPort } = require('node:worker_threads');
const db = w.driver === 'bun:sqlite' ? new (require('bun:sqlite').Database)(w.path)
  : w.driver === 'node:sqlite' ? new (require('node:sqlite').DatabaseSync)(w.path)
  : new (require(w.modulePath))(w.path);
db.exec('PRAGMA busy_timeout = 5000');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  try { checkpoint.get(); } catch {}
}, w.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * WAL checkpoints off the event loop. SQLite copies the log back into the database file (and
 * fsyncs it) in whichever connection commits past 1000 pages, on the event loop, a pause of several
 * milliseconds every few hundred callbacks. The caller turns its own automatic checkpoints off and
 * this worker thread, with a connection of its own on the same driver, does them instead. If the
 * worker cannot run, `onFailure` hears it (the caller turns its own checkpoints back on).
 */
export function startCheckpointer(path: string, driver: SqliteDriverName, onFailure: (error: unknown) => void): Checkpointer {
  // Resolved here, where this package's own node_modules are in reach, whatever the worker's directory.
  const modulePath = driver === 'better-sqlite3' ? betterSqlite3Path() : undefined;
  const workerData = { driver, modulePath, path, intervalMs: INTERVAL_MS };
  const worker = new Worker(WORKER, { eval: true, workerData });
  let stopping = false;
  worker.unref();
  worker.once('error', onFailure);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopping) onFailure(new Error(`the checkpoint worker exited with ${code}`));
      resolve();
    });
  });
  return {
    async stop() {
      stopping = true;
      // The worker closes its connection and ends; one stuck in a checkpoint is ended after a while.
      worker.postMessage('stop');
      const stuck = setTimeout(() => void worker.terminate(), 2_000);
      await exited;
      clearTimeout(stuck);
    },
  };
}

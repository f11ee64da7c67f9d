import { Worker } from 'node:worker_threads';
import { betterSqlite3Path, type SqliteDriverName } from './sqlite-driver.js';

/** How often the worker copies the write-ahead log back into the database file. */
const INTERVAL_MS = 250;

/**
 * The log's size bounds. A writer that starts when every frame has been copied back begins the log
 * again from its start, and trims the file to `JOURNAL_SIZE_LIMIT` (the store sets it). Under
 * sustained load that moment never comes (each turn's commit lands before a checkpoint catches up),
 * so past `RESTART_BYTES` the worker forces it; at rest it trims a file left larger than the limit.
 */
export const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;
const RESTART_BYTES = 16 * 1024 * 1024;

/**
 * How long a forced checkpoint may wait for the store's writer and readers. It holds the write lock
 * while it waits for readers, and the store's writes fail busy (and are retried) meanwhile, so it
 * gives up soon and tries again on a later turn.
 */
const FORCED_BUSY_TIMEOUT_MS = 100;

/**
 * Runs in the worker, as CommonJS, on the store's own driver, with a connection of its own. Each turn
 * a PASSIVE checkpoint, which never blocks a writer (a locked file just skips a turn); a TRUNCATE
 * one, which copies the last frames, waits for readers and empties the log, when the log passes
 * RESTART_BYTES, or when it is larger than the limit and nothing was written since the last turn.
 * (bun:sqlite closes a connection only once its statements are finalized.)
 */
const WORKER = `
const { workerData: w, parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
const db = w.driver === 'bun:sqlite' ? new (require('bun:sqlite').Database)(w.path)
  : w.driver === 'node:sqlite' ? new (require('node:sqlite').DatabaseSync)(w.path)
  : new (require(w.modulePath))(w.path);
db.exec('PRAGMA busy_timeout = ' + w.forcedBusyMs);
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
const walBytes = () => { try { return statSync(w.path + '-wal').size; } catch { return 0; } };
let lastLog = -1;
const timer = setInterval(() => {
  try {
    const { log, checkpointed } = passive.get();
    const bytes = walBytes();
    const resting = log === checkpointed && log === lastLog;
    lastLog = log;
    if (bytes >= w.restartBytes || (resting && bytes > w.limitBytes)) truncate.get();
  } catch {}
}, w.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  for (const statement of [passive, truncate]) statement.finalize?.();
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
 * this worker thread, with a connection of its own on the same driver, does them instead and keeps
 * the log bounded. If the worker cannot run, `onFailure` hears it (the caller turns its own
 * checkpoints back on).
 */
export function startCheckpointer(path: string, driver: SqliteDriverName, onFailure: (error: unknown) => void): Checkpointer {
  // Resolved here, where this package's own node_modules are in reach, whatever the worker's directory.
  const modulePath = driver === 'better-sqlite3' ? betterSqlite3Path() : undefined;
  const workerData = { driver, modulePath, path, intervalMs: INTERVAL_MS, restartBytes: RESTART_BYTES, limitBytes: JOURNAL_SIZE_LIMIT, forcedBusyMs: FORCED_BUSY_TIMEOUT_MS };
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

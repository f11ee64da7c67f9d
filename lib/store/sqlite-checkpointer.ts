import { Worker } from 'node:worker_threads';
import { betterSqlite3Path, type SqliteDriverName } from './sqlite-driver.js';

/** How often the worker copies the write-ahead log back into the database file. */
const INTERVAL_MS = 100;

/**
 * The log's bounds. A writer that starts when every frame has been copied back begins the log again
 * from its start. Under sustained load that moment never comes (each turn's commit lands before a
 * checkpoint catches up), so past `RESTART_BYTES` the worker makes it come; at rest it empties a log
 * file left larger than `REST_BYTES`.
 */
const RESTART_BYTES = 16 * 1024 * 1024;
const REST_BYTES = 4 * 1024 * 1024;

/**
 * How the worker restarts the log with the least stop to writing. PASSIVE checkpoints, which never
 * block a writer, copy back all but the last few frames (`CATCH_UP_FRAMES`, `CATCH_UP_TRIES` at
 * most); then the worker sets `forcing`, the store holds its next writes (they wait, they do not
 * fail), and a RESTART checkpoint takes the write lock, copies those last frames, and lets the next
 * writer start the log again. The lock is waited for up to `FORCED_BUSY_TIMEOUT_MS` (the store's
 * commit in progress, a reader, another process), in the worker.
 */
const CATCH_UP_FRAMES = 64;
const CATCH_UP_TRIES = 4;
const FORCED_BUSY_TIMEOUT_MS = 200;

/**
 * Runs in the worker, as CommonJS, on the store's own driver, with a connection of its own: each turn
 * a PASSIVE checkpoint (a locked file just skips a turn), a forced one when the log is long or left
 * large at rest (nothing written for a turn). `forcing` is shared memory the store reads at once.
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
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
const forcing = new Int32Array(w.forcing);
const pageSize = db.prepare('PRAGMA page_size');
const frameBytes = pageSize.get().page_size + 24;
const walBytes = () => { try { return statSync(w.path + '-wal').size; } catch { return 0; } };
const force = (checkpoint) => {
  for (let tries = 0; tries < w.catchUpTries; tries++) {
    const { log, checkpointed } = passive.get();
    if (log - checkpointed <= w.catchUpFrames) break;
  }
  Atomics.store(forcing, 0, 1);
  try { checkpoint.get(); } finally { Atomics.store(forcing, 0, 0); parentPort.postMessage('forced'); }
};
let lastLog = -1;
const timer = setInterval(() => {
  try {
    // log: the frames written since the log last started; the file keeps its largest size until emptied.
    const { log, checkpointed } = passive.get();
    const resting = log === checkpointed && log === lastLog;
    lastLog = log;
    if (resting && walBytes() > w.restBytes) force(truncate);
    else if (log * frameBytes >= w.restartBytes) force(restart);
  } catch {}
}, w.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  for (const statement of [passive, restart, truncate, pageSize]) statement.finalize?.();
  db.close();
});
`;

export interface Checkpointer {
  /** Whether the worker is running a forced checkpoint now (and may hold the write lock). */
  forcing(): boolean;
  /** Resolves when the worker's current forced checkpoint is over (or the worker has gone). */
  forced(): Promise<void>;
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
  // Set by the worker while it runs a forced checkpoint: read at once here, with no message to wait for.
  const forcing = new Int32Array(new SharedArrayBuffer(4));
  const workerData = { driver, modulePath, path, forcing: forcing.buffer, intervalMs: INTERVAL_MS, restartBytes: RESTART_BYTES, restBytes: REST_BYTES, catchUpFrames: CATCH_UP_FRAMES, catchUpTries: CATCH_UP_TRIES, forcedBusyMs: FORCED_BUSY_TIMEOUT_MS };
  const worker = new Worker(WORKER, { eval: true, workerData });
  let stopping = false;
  let waiting: (() => void)[] = [];
  const release = () => {
    const waiters = waiting;
    waiting = [];
    for (const resume of waiters) resume();
  };
  worker.unref();
  worker.on('message', release);
  worker.once('error', onFailure);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopping) onFailure(new Error(`the checkpoint worker exited with ${code}`));
      Atomics.store(forcing, 0, 0);
      release();
      resolve();
    });
  });
  return {
    forcing: () => Atomics.load(forcing, 0) === 1,
    forced: () => new Promise<void>((resolve) => waiting.push(resolve)),
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

import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { betterSqlite3Path, type SqliteDriverName } from './sqlite-driver.js';

/**
 * How often the worker copies the write-ahead log back into the database file: every 100 ms, every
 * 20 ms while more than 2 MB were written since its last turn.
 */
const INTERVAL_MS = 100;
const FAST_INTERVAL_MS = 20;
const FAST_BYTES = 2 * 1024 * 1024;

/**
 * The log's bounds. A writer that starts when every frame has been copied back begins the log again
 * from its start. Under sustained load that moment never comes (each turn's commit lands before a
 * checkpoint catches up), so once the log passes `RESTART_BYTES` the worker makes it come: one more
 * PASSIVE checkpoint while writes go on, then it sets `forcing`, the store holds its writes (they
 * wait, they do not fail), and a RESTART checkpoint takes the write lock, copies the last frames and
 * lets the next write start the log again. At rest it empties a log file larger than `REST_BYTES`.
 * A log that passes `HOLD_BYTES` has outrun the worker (a burst on a slow disk): the store holds its
 * writes until the worker has restarted it.
 */
const RESTART_BYTES = 16 * 1024 * 1024;
const REST_BYTES = 4 * 1024 * 1024;
const HOLD_BYTES = 48 * 1024 * 1024;

/** How long the worker waits for the write lock (the store's commit in progress, a reader, another process). */
const FORCED_BUSY_TIMEOUT_MS = 200;
/** How long a held write waits for the worker at most, so that a stuck worker can delay writes but never stop them. */
const MAX_HOLD_MS = 1_000;
/** How often the store looks at the log file's size while it writes. */
const SIZE_CHECK_MS = 10;

/**
 * Runs in the worker, as CommonJS, on the store's own driver, with a connection of its own to the
 * file the store has open: it never creates one (a file deleted before the worker started stays
 * deleted), and it stops once the file at the path is another or none (its log may belong to the
 * file that was there). `state` is shared memory the store reads at once: [0] is 1 while a forced
 * checkpoint runs, [1] the log file's size in KiB when it last ended. (bun:sqlite closes a
 * connection only once its statements are finalized.)
 */
const WORKER = `
const { workerData: w, parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
const moved = () => { try { const { dev, ino } = statSync(w.path); return dev !== w.dev || ino !== w.ino; } catch { return true; } };
if (!moved()) run();
function run() {
const mustExist = () => { const url = require('node:url').pathToFileURL(w.path); url.searchParams.set('mode', 'rw'); return url; };
const db = w.driver === 'bun:sqlite' ? new (require('bun:sqlite').Database)(w.path, { create: false, readwrite: true })
  : w.driver === 'node:sqlite' ? new (require('node:sqlite').DatabaseSync)(mustExist())
  : new (require(w.modulePath))(w.path, { fileMustExist: true });
db.exec('PRAGMA busy_timeout = ' + w.forcedBusyMs);
const passive = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
const restart = db.prepare('PRAGMA wal_checkpoint(RESTART)');
const truncate = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');
const pageSize = db.prepare('PRAGMA page_size');
const frameBytes = pageSize.get().page_size + 24;
const state = new Int32Array(w.state);
const walBytes = () => { try { return statSync(w.path + '-wal').size; } catch { return 0; } };
const force = (checkpoint) => {
  passive.get();
  Atomics.store(state, 0, 1);
  try { checkpoint.get(); } finally {
    Atomics.store(state, 1, Math.ceil(walBytes() / 1024));
    Atomics.store(state, 0, 0);
    parentPort.postMessage('forced');
  }
};
let lastLog = 0;
let timer;
const stop = () => {
  clearTimeout(timer);
  parentPort.removeAllListeners('message');
  for (const statement of [passive, restart, truncate, pageSize]) statement.finalize?.();
  db.close();
};
const turn = () => {
  if (moved()) return stop();
  let soon = false;
  try {
    // log: the frames written since the log last started; the file keeps its largest size until emptied.
    const { log, checkpointed } = passive.get();
    const resting = log === checkpointed && log === lastLog;
    // (A log smaller than at the last turn has started again since.)
    soon = (log < lastLog ? log : log - lastLog) * frameBytes > w.fastBytes;
    lastLog = log;
    if (resting && walBytes() > w.restBytes) force(truncate);
    else if (log * frameBytes >= w.restartBytes) force(restart);
  } catch {}
  timer = setTimeout(turn, soon ? w.fastIntervalMs : w.intervalMs);
};
timer = setTimeout(turn, w.intervalMs);
parentPort.once('message', stop);
}
`;

export interface Checkpointer {
  /** Whether writes should wait now: the worker is restarting the log, or the log has outrun it. */
  holdsWrites(): boolean;
  /** Resolves when the worker has next restarted the log (or gone, or after `MAX_HOLD_MS`). */
  restarted(): Promise<void>;
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
export function startCheckpointer(path: string, file: { dev: number; ino: number }, driver: SqliteDriverName, onFailure: (error: unknown) => void): Checkpointer {
  // Resolved here, where this package's own node_modules are in reach, whatever the worker's directory.
  const modulePath = driver === 'better-sqlite3' ? betterSqlite3Path() : undefined;
  const state = new Int32Array(new SharedArrayBuffer(8));
  const workerData = {
    driver, modulePath, path, dev: file.dev, ino: file.ino, state: state.buffer, intervalMs: INTERVAL_MS, fastIntervalMs: FAST_INTERVAL_MS, fastBytes: FAST_BYTES,
    restartBytes: RESTART_BYTES, restBytes: REST_BYTES, forcedBusyMs: FORCED_BUSY_TIMEOUT_MS,
  };
  const worker = new Worker(WORKER, { eval: true, workerData });
  let stopping = false;
  let waiting: (() => void)[] = [];
  const release = () => {
    const waiters = waiting;
    waiting = [];
    for (const resume of waiters) resume();
  };
  let checkedAt = -Infinity;
  let outrun = false;
  worker.unref();
  worker.on('message', () => {
    checkedAt = -Infinity;
    release();
  });
  worker.once('error', onFailure);
  const exited = new Promise<void>((resolve) => {
    worker.once('exit', (code) => {
      if (!stopping) onFailure(new Error(`the checkpoint worker exited with ${code}`));
      Atomics.store(state, 0, 0);
      outrun = false;
      checkedAt = Infinity;
      release();
      resolve();
    });
  });
  return {
    holdsWrites() {
      if (Atomics.load(state, 0) === 1) return true;
      const now = performance.now();
      if (now - checkedAt >= SIZE_CHECK_MS) {
        checkedAt = now;
        // Past its size when the worker last restarted it, the file's size is the log's.
        const bytes = fileSize(`${path}-wal`);
        outrun = bytes > HOLD_BYTES && bytes > Atomics.load(state, 1) * 1024;
      }
      return outrun;
    },
    restarted: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, MAX_HOLD_MS);
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
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

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

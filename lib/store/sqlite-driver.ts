import { ConfigError } from '../config.js';

/**
 * The SQLite the store runs on: the runtime's own where it has one (Node ≥ 22.13 and Deno have
 * `node:sqlite`, Bun has `bun:sqlite`), the native package better-sqlite3 elsewhere (Node 20). One
 * file format; the store and its checkpoint worker use the same driver.
 */
export type SqliteDriverName = 'node:sqlite' | 'bun:sqlite' | 'better-sqlite3';

export type SqlValue = string | number | null;

export interface SqliteStatement<Row> {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): Row | undefined;
  all(...params: SqlValue[]): Row[];
}

/** What the store needs of a connection, the same on every driver. */
export interface SqliteConnection {
  readonly driver: SqliteDriverName;
  exec(sql: string): void;
  prepare<Row = unknown>(sql: string): SqliteStatement<Row>;
  readonly isOpen: boolean;
  close(): void;
}

/** A SQLite failure from any driver: `code` is SQLite's own name for it (`SQLITE_BUSY`, `SQLITE_READONLY`, …). */
export class SqliteError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqliteError';
    this.code = code;
  }
}

interface BuiltinLoader {
  getBuiltinModule?(id: string): unknown;
}

/**
 * Drivers load at run time, through `process.getBuiltinModule` (Node 20.16 and 22.3, Bun, Deno),
 * never through an `import` or a `require` a bundler could follow (webpack follows a `createRequire`
 * imported from `node:module`): an app bundled with Next.js, webpack or esbuild builds without
 * better-sqlite3 installed, and loads a driver only when it opens a SQLite store.
 */
function builtin<T>(id: string): T | undefined {
  const loader = process as BuiltinLoader;
  if (typeof loader.getBuiltinModule !== 'function') {
    throw new ConfigError(`the sqlite: store needs Node 20.16 or later (process.getBuiltinModule); this is ${process.version}`);
  }
  return loader.getBuiltinModule(id) as T | undefined;
}

/** The driver this runtime uses: bun:sqlite on Bun, node:sqlite where it is built in, better-sqlite3 otherwise. */
export function runtimeDriver(): SqliteDriverName {
  if (process.versions.bun !== undefined) return 'bun:sqlite';
  // Node 22.5 to 22.12 have node:sqlite only behind --experimental-sqlite; without it there is none.
  return builtin('node:sqlite') === undefined ? 'better-sqlite3' : 'node:sqlite';
}

interface NodeSqlite {
  DatabaseSync: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): SqliteStatement<never>;
    readonly isOpen: boolean;
    close(): void;
  };
}

interface BunSqlite {
  Database: new (path: string) => {
    exec(sql: string): void;
    prepare(sql: string): { run(...params: SqlValue[]): { changes: number }; get(...params: SqlValue[]): unknown; all(...params: SqlValue[]): unknown[]; finalize(): void };
    close(): void;
  };
}

type BetterSqlite3 = new (path: string) => {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement<never>;
  readonly open: boolean;
  close(): void;
};

/** The path better-sqlite3 loads from, resolved from this package (so the worker finds the same one). */
export function betterSqlite3Path(): string {
  const { createRequire } = builtin<typeof import('node:module')>('node:module') as typeof import('node:module');
  try {
    return createRequire(import.meta.url).resolve('better-sqlite3');
  } catch (error) {
    // Node 22.13 and later, Bun and Deno need nothing installed (README, "Inside your app").
    throw new ConfigError('the sqlite: store needs the package better-sqlite3: npm install better-sqlite3', { cause: error });
  }
}

/** Open `path` (created when missing) with this runtime's driver; SQLite's errors come out as `SqliteError`. */
export function openConnection(path: string): SqliteConnection {
  try {
    return open(path, runtimeDriver());
  } catch (error) {
    throw asSqliteError(error);
  }
}

function open(path: string, driver: SqliteDriverName): SqliteConnection {
  switch (driver) {
    case 'node:sqlite': {
      const db = new (builtin<NodeSqlite>('node:sqlite') as NodeSqlite).DatabaseSync(path);
      return {
        driver,
        exec: (sql) => db.exec(sql),
        prepare: <Row>(sql: string) => db.prepare(sql) as SqliteStatement<Row>,
        get isOpen() {
          return db.isOpen;
        },
        close: () => db.close(),
      };
    }
    case 'bun:sqlite': {
      const db = new (builtin<BunSqlite>('bun:sqlite') as BunSqlite).Database(path);
      // Closing with statements alive leaves the connection open until they are collected (and the
      // log unmerged, the file locked): the statements are finalized first, as the other drivers do.
      const statements = new Set<{ finalize(): void }>();
      let isOpen = true;
      return {
        driver,
        exec: (sql) => db.exec(sql),
        prepare: <Row>(sql: string) => {
          const statement = db.prepare(sql);
          statements.add(statement);
          // bun:sqlite answers "no row" with null; the others (and the store) with undefined.
          return {
            run: (...params) => statement.run(...params),
            get: (...params) => (statement.get(...params) ?? undefined) as Row | undefined,
            all: (...params) => statement.all(...params) as Row[],
          };
        },
        get isOpen() {
          return isOpen;
        },
        close: () => {
          isOpen = false;
          for (const statement of statements) statement.finalize();
          db.close();
        },
      };
    }
    case 'better-sqlite3': {
      const { createRequire } = builtin<typeof import('node:module')>('node:module') as typeof import('node:module');
      const Database = createRequire(import.meta.url)(betterSqlite3Path()) as BetterSqlite3;
      const db = new Database(path);
      return {
        driver,
        exec: (sql) => void db.exec(sql),
        prepare: <Row>(sql: string) => db.prepare(sql) as SqliteStatement<Row>,
        get isOpen() {
          return db.open;
        },
        close: () => db.close(),
      };
    }
  }
}

/** SQLite's primary result codes, by number (sqlite3.h). */
const PRIMARY_CODES = [
  'OK', 'ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'LOCKED', 'NOMEM', 'READONLY', 'INTERRUPT', 'IOERR', 'CORRUPT', 'NOTFOUND',
  'FULL', 'CANTOPEN', 'PROTOCOL', 'EMPTY', 'SCHEMA', 'TOOBIG', 'CONSTRAINT', 'MISMATCH', 'MISUSE', 'NOLFS', 'AUTH', 'FORMAT', 'RANGE', 'NOTADB',
];

/**
 * SQLite's own text for the codes a store meets (sqlite3_errstr), for a driver that reports only the
 * message (Deno's node:sqlite).
 */
const CODES_BY_MESSAGE: [RegExp, string][] = [
  [/^database is locked/, 'SQLITE_BUSY'],
  [/^database table is locked/, 'SQLITE_LOCKED'],
  [/^attempt to write a readonly database/, 'SQLITE_READONLY'],
  [/^database or disk is full/, 'SQLITE_FULL'],
  [/^disk I\/O error/, 'SQLITE_IOERR'],
  [/^unable to open database file/, 'SQLITE_CANTOPEN'],
  [/^file is not a database/, 'SQLITE_NOTADB'],
  [/^database disk image is malformed/, 'SQLITE_CORRUPT'],
  [/constraint failed/, 'SQLITE_CONSTRAINT'],
];

/**
 * SQLite's name for what went wrong, whichever driver threw: better-sqlite3 and bun:sqlite give it
 * as `code` (extended, e.g. SQLITE_IOERR_WRITE), node:sqlite as the number `errcode` (named here by
 * its primary code), Deno's node:sqlite only in the message.
 */
export function sqliteCode(error: unknown): string | undefined {
  const { code, errcode, message } = (error ?? {}) as { code?: unknown; errcode?: unknown; message?: unknown };
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return code;
  if (typeof errcode === 'number') {
    const primary = PRIMARY_CODES[errcode & 0xff];
    if (primary !== undefined) return `SQLITE_${primary}`;
  }
  if (code === 'ERR_SQLITE_ERROR' && typeof message === 'string') return CODES_BY_MESSAGE.find(([pattern]) => pattern.test(message))?.[1];
  return undefined;
}

/** A driver's error as a `SqliteError`; anything else (a bug, a bad argument) as it was. */
export function asSqliteError(error: unknown): unknown {
  if (error instanceof SqliteError) return error;
  const code = sqliteCode(error);
  return code === undefined ? error : new SqliteError(code, (error as Error).message, { cause: error });
}

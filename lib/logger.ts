/**
 * One JSON line per event on stdout, as Function Compute and Lambda log collectors expect. Callers
 * pass only fields that are safe to log; nothing here ever receives a signature, key or credential.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function jsonLogger(minLevel: LogLevel | 'silent' = 'info', write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return jsonLoggerWith(minLevel, write);
}

/** Members a line gets after its fields (a callback line's metrics, callback-metrics.ts); none when undefined. */
export type LineMembers = (message: string, fields: LogFields, time: Date) => Record<string, unknown> | undefined;

/** `jsonLogger`, with `members` added to the lines it names. */
export function jsonLoggerWith(minLevel: LogLevel | 'silent', write: (line: string) => void = (line) => process.stdout.write(line), members?: LineMembers): Logger {
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < RANK[minLevel]) return;
      const time = new Date();
      write(`${JSON.stringify({ time: time.toISOString(), level, message, ...fields, ...members?.(message, fields, time) })}\n`);
    },
  };
}

export const silentLogger: Logger = { log() {} };

export interface TurnWriter {
  write(line: string): void;
  /** Write what is pending now (before the server closes). */
  flush(): void;
}

/**
 * Lines logged within one turn of the event loop go out in one write at its end: a server under load
 * then makes one write a turn instead of one a callback (stdout to a file is a synchronous write).
 * Only for long-running servers: a function may be frozen the moment it has answered.
 */
export function linesPerTurn(write: (chunk: string) => void): TurnWriter {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const chunk = pending.join('');
    pending = [];
    write(chunk);
  };
  return {
    write(line) {
      if (pending.push(line) === 1) setImmediate(flush);
    },
    flush,
  };
}

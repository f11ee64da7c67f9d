import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDuration } from '../lib/reconcile/duration.js';

/** Exit codes every command keeps: 0 ok, 1 refused (the input was read and failed a check), 2 usage. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** A mistake in how the command was called; `main` prints it with the usage line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandIo {
  stdout: (text: string | Uint8Array) => void;
  stderr: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal, where a command may show its progress. */
  stderrIsTTY?: boolean;
}

export const processIo: CommandIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
};

export interface Command {
  /** One line for `oss-callback --help`. */
  summary: string;
  /** The full text for `oss-callback <command> --help`. */
  usage: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Named, so the build can declare `parseCommandArgs` (Node's own result type is not exported). */
type ParsedArgs<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>>;

/** `util.parseArgs` in strict mode, with its errors turned into one-line `UsageError`s naming the option. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = true): ParsedArgs<O> {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(usageMessage(error as Error));
  }
}

/**
 * `--limit -3` is "ambiguous" to parseArgs, which would print three lines about it; read a negative
 * number after an option that takes a value as that value, so the option's own check can name it.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const takesValue = arg.startsWith('--') && options[arg.slice(2)]?.type === 'string';
    if (takesValue && next !== undefined && /^-\d/.test(next)) joined.push(`${arg}=${next}`), i++;
    else joined.push(arg);
  }
  return joined;
}

/** parseArgs' messages (some several lines long) as one line that names the option. */
function usageMessage(error: Error): string {
  const name = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (/^Unknown option/.test(error.message)) return `unknown option ${name}`;
  if (/argument missing|ambiguous/.test(error.message)) return `${name} needs a value`;
  if (/does not take an argument/.test(error.message)) return `${name} takes no value`;
  const positional = /^Unexpected argument '([^']*)'/.exec(error.message)?.[1];
  if (positional !== undefined) return `unexpected argument ${JSON.stringify(positional)}`;
  return error.message.split('\n')[0] as string;
}

/** A whole-number option value in [min, max], or `fallback` when the option is not given. */
export function wholeNumberOption(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
}

/** A duration option value (90s, 2m, 24h, 7d, 1h30m) in milliseconds. */
export function durationOption(text: string, name: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`--${name}: ${(error as Error).message}`);
  }
}

export function requireOption(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

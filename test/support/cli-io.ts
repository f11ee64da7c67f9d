import { Readable } from 'node:stream';
import { main } from '../../cli/main.js';
import type { CommandIo } from '../../cli/args.js';

export interface CliRun {
  code: number;
  /** Everything written to stdout, as bytes (sign writes a raw request) and as text. */
  stdoutBytes: Buffer;
  stdout: string;
  stderr: string;
}

/** Run `oss-callback <argv>` in-process through cli/main.ts, with stdin, env and output captured. */
export async function runCli(argv: string[], options: { stdin?: Buffer | string; env?: NodeJS.ProcessEnv; stderrIsTTY?: boolean } = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (text) => void out.push(Buffer.from(text)),
    stderr: (text) => void err.push(text),
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    env: options.env ?? {},
    stderrIsTTY: options.stderrIsTTY ?? false,
  };
  const code = await main(argv, io);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdoutBytes, stdout: stdoutBytes.toString('utf8'), stderr: err.join('') };
}

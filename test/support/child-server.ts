import { spawn } from 'node:child_process';

/**
 * A server run as its own process (a Next.js app, a Bun or Deno app), as its user would start it:
 * `url` once it prints the port it listens on, `stop()` ending it by its process group. Whatever it
 * printed is in `output()`, for the failure message when it never listens.
 */
export interface ChildServer {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export interface ChildServerOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Finds the port in what the server prints; its first group is the port. */
  port: RegExp;
  /** How long it may take to listen. */
  timeoutMs?: number;
}

/** A clean environment: what a shell would pass, nothing of vitest's (NODE_ENV, NODE_OPTIONS, …). */
export function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, ...extra };
}

export function startServer(command: string, args: string[], options: ChildServerOptions): Promise<ChildServer> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGTERM');
      const killed = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(killed);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} ${args.join(' ')} did not listen within ${options.timeoutMs ?? 30_000} ms:\n${printed}`));
    }, options.timeoutMs ?? 30_000);
    const read = (chunk: Buffer) => {
      printed += chunk.toString('utf8');
      const port = options.port.exec(printed)?.[1];
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ url: `http://127.0.0.1:${port}`, output: () => printed, stop });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) before it listened:\n${printed}`));
    });
  });
}

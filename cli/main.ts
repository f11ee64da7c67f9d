import { EXIT, UsageError, processIo, type Command, type CommandIo } from './args.js';
import { packageVersion } from './package-version.js';
import { terminalSafe } from './terminal-safe.js';

/** Each command loads only when it runs, so `--help` and small commands stay instant. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  serve: { summary: 'run the receiver as a local HTTP server (SQLite by default)', load: () => import('./commands/serve.js') },
  verify: { summary: 'check the OSS signature of a captured raw HTTP request', load: () => import('./commands/verify.js') },
  sign: { summary: 'sign a callback as OSS would, with a development key', load: () => import('./commands/sign.js') },
  keygen: { summary: 'make a development key pair and a trusted-keys file for it', load: () => import('./commands/keygen.js') },
  records: { summary: 'list stored upload records, newest first', load: () => import('./commands/records.js') },
  stats: { summary: 'uploads per hour or day by source, and the callback coverage', load: () => import('./commands/stats.js') },
  reconcile: { summary: 'record the uploads whose callback never arrived, from a listing of the bucket', load: () => import('./commands/reconcile.js') },
  store: { summary: "create the upload store's table and indexes (store init)", load: () => import('./commands/store.js') },
  template: { summary: 'print the recommended callback body template', load: () => import('./commands/template.js') },
  invoke: { summary: 'check that a deployed receiver answers as OSS needs (--remote)', load: () => import('./commands/invoke.js') },
  sim: { summary: 'run a local OSS simulator that uploads and calls back like OSS', load: () => import('./commands/sim.js') },
};

const HELP = `oss-callback: receive Alibaba Cloud OSS upload callbacks, verified and recorded once.

Usage: oss-callback <command> [options]     oss-callback <command> --help     oss-callback --version

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(10)} ${summary}`)
  .join('\n')}
`;

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    io.stdout(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`oss-callback: unknown command "${name}"\nsee \`oss-callback --help\`\n`);
    return EXIT.usage;
  }
  const { command } = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`oss-callback ${name}: ${terminalSafe(error.message)}\nsee \`oss-callback ${name} --help\`\n`);
      return EXIT.usage;
    }
    // The message may carry what OSS, a store or a key said: nothing in it may act on the terminal.
    io.stderr(`oss-callback ${name}: ${terminalSafe((error as Error).message)}\n`);
    return EXIT.refused;
  }
}

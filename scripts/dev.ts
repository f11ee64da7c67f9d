/**
 * `npm run dev`: the OSS simulator, the receiver (SQLite) and the trust between them in one command.
 * The simulator writes the trusted-keys file for its callback key, and the receiver starts with
 * OSS_CALLBACK_TRUSTED_KEYS pointing at it; then the ali-oss options to use are printed.
 */
import { loadConfig } from '../lib/config.js';
import { startLocalServer } from '../lib/platforms/node-http.js';
import { callbackBodyTemplate } from '../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, processIo } from '../cli/args.js';
import { SIM_ARGS, SIM_USAGE_OPTIONS, aliOssOptions, runSimulator, simulatorOptions, untilStopped } from '../cli/commands/sim.js';

const USAGE = `Usage: npm run dev -- [options]

Starts the OSS simulator and the callback receiver, wired together, and prints how to upload.

Receiver:
  --receiver-port N         port of the receiver (default $PORT or 9000)
  environment               UPLOAD_STORE (default sqlite:./data/uploads.db), LOG_LEVEL, ... as for 'serve'

Simulator:
${SIM_USAGE_OPTIONS}`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const { values } = parseCommandArgs(argv, { ...SIM_ARGS, 'receiver-port': { type: 'string' } }, false);
  const options = simulatorOptions(values);
  const sim = await runSimulator(options, processIo);
  let receiver;
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, OSS_CALLBACK_TRUSTED_KEYS: options.trustedKeysOut };
    if (values['receiver-port'] !== undefined) env.PORT = values['receiver-port'];
    receiver = await startLocalServer({ config: loadConfig(env) });
  } catch (error) {
    await sim.close();
    throw error;
  }
  const callbackUrl = `${receiver.url}/oss/callback`;
  process.stderr.write(`
OSS simulator  ${sim.url}  (bucket ${sim.bucket}, objects in ${options.dataDir})
receiver       ${receiver.url}  (store ${receiver.store.description}, trusts ${options.trustedKeysOut})

Upload with a callback from Node:

  import OSS from 'ali-oss';
  const client = ${aliOssOptions(sim, options)};
  const result = await client.put('hello.txt', Buffer.from('hello'), {
    callback: { url: '${callbackUrl}', body: '${callbackBodyTemplate('form')}' },
  });
  console.log(result.data); // the receiver's answer, relayed by the simulator

List what was recorded: npx tsx cli/bin.ts records    Ctrl-C stops both.
`);
  await untilStopped(async () => {
    await Promise.all([receiver.close(), sim.close()]);
  });
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const usage = error instanceof UsageError;
    process.stderr.write(`npm run dev: ${(error as Error).message}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? EXIT.usage : EXIT.refused;
  },
);

/**
 * `npm run dev`: the OSS simulator, the receiver (SQLite) and the trust between them in one command.
 * The simulator writes the trusted-keys file for its callback key, and the receiver starts with
 * OSS_CALLBACK_TRUSTED_KEYS pointing at it. Beside the receiver: the ticket route and the upload page
 * (scripts/dev-stack.ts). Then the page's address and the ali-oss options to use are printed.
 */
import { jsonLogger } from '../lib/logger.js';
import { callbackBodyTemplate } from '../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, wholeNumberOption } from '../cli/args.js';
import { SIM_ARGS, SIM_USAGE_OPTIONS, aliOssOptions, simulatorOptions, untilStopped } from '../cli/commands/sim.js';
import { startDevStack } from './dev-stack.js';

const USAGE = `Usage: npm run dev -- [options]

Starts the OSS simulator and the callback receiver, wired together, with the upload-ticket route, an
upload page and the OSS events route (POST /oss/events, the simulator's --notify-url) beside the
receiver, and prints how to upload.

Receiver:
  --receiver-port N         port of the receiver and the page (default $PORT or 9000)
  environment               UPLOAD_STORE (default sqlite:./data/uploads.db), LOG_LEVEL, ... as for 'serve';
                            OSS_TICKET_KEYS (default: a fresh key per run), OSS_CALLBACK_REQUIRE_TICKET

Simulator:
${SIM_USAGE_OPTIONS}`;

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const { values } = parseCommandArgs(argv, { ...SIM_ARGS, 'receiver-port': { type: 'string' } }, false);
  const options = simulatorOptions(values);
  const rawPort = values['receiver-port'];
  const receiverPort = rawPort === undefined ? undefined : wholeNumberOption(rawPort, 'receiver-port', 0, 0, 65_535);
  const { sim, receiver, callbackUrl, pageUrl, close } = await startDevStack({ sim: options, receiverPort, simLogger: jsonLogger('info') });
  process.stderr.write(`
OSS simulator  ${sim.url}  (bucket ${sim.bucket}, objects in ${options.dataDir})
receiver       ${receiver.url}  (store ${receiver.store.description}, trusts ${options.trustedKeysOut})
upload page    ${pageUrl}  (sign in as any development user; POST /tickets issues the forms)
OSS events     ${receiver.url}/oss/events  (the simulator posts one for every object; each is recorded, and its callback replaces that record)

Upload with a callback from Node:

  import OSS from 'ali-oss';
  const client = ${aliOssOptions(sim, options)};
  const result = await client.put('hello.txt', Buffer.from('hello'), {
    callback: { url: '${callbackUrl}', body: '${callbackBodyTemplate('form')}' },
  });
  console.log(result.data); // the receiver's answer, relayed by the simulator

List what was recorded: npx oss-callback records    Ctrl-C stops both.
`);
  await untilStopped(close);
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    const usage = error instanceof UsageError;
    process.stderr.write(`npm run dev: ${(error as Error).message}\n${usage ? 'see `npm run dev -- --help`\n' : ''}`);
    process.exitCode = usage ? EXIT.usage : EXIT.refused;
  },
);

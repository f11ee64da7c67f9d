import { join } from 'node:path';
import { jsonLogger } from '../../lib/logger.js';
import { withPeers } from '../../lib/peer-package.js';
import type { Simulator, SimulatorOptions } from '../../sim/simulator.js';
import { EXIT, UsageError, parseCommandArgs, wholeNumberOption, type Command, type CommandIo } from '../args.js';

export const SIM_DEFAULTS = { port: 9100, host: '127.0.0.1', data: './data/oss-sim', bucket: 'dev-bucket', callbackTimeoutMs: 5000 } as const;

export const SIM_USAGE_OPTIONS = `  --port N                  port to listen on (default ${SIM_DEFAULTS.port}; 0 picks a free port)
  --host ADDR               address to bind (default ${SIM_DEFAULTS.host})
  --data DIR                objects, multipart parts and the simulator's callback key (default ${SIM_DEFAULTS.data})
  --bucket NAME             the one bucket it serves (default ${SIM_DEFAULTS.bucket})
  --trusted-keys-out FILE   where to write {"<key url>": "<PEM>"} for the receiver's
                            OSS_CALLBACK_TRUSTED_KEYS (default DIR/trusted-keys.json)
  --access-key-id ID        with --access-key-secret: check every request's OSS signature
  --access-key-secret S     against this pair (default: accept any credentials)
  --security-token T        with the pair: STS credentials, so every request must carry T too
  --cors-origin ORIGIN      let browser pages on ORIGIN upload (a bucket CORS rule; repeat it
                            for more origins, * for any; default none, as on OSS)
  --callback-timeout-ms N   how long each callback URL gets (default ${SIM_DEFAULTS.callbackTimeoutMs}, as on OSS)
  --notify-url URL          POST an OSS ObjectCreated event, as Function Compute's OSS trigger hands it to
                            a function, for every object created (before its callback); default none
`;

export const SIM_ARGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  data: { type: 'string' },
  bucket: { type: 'string' },
  'trusted-keys-out': { type: 'string' },
  'access-key-id': { type: 'string' },
  'access-key-secret': { type: 'string' },
  'security-token': { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'callback-timeout-ms': { type: 'string' },
  'notify-url': { type: 'string' },
} as const;

type SimValues = { [name in keyof typeof SIM_ARGS]?: string | string[] | boolean | undefined };

/** `oss-callback sim` and `npm run dev` take the same options, parsed with SIM_ARGS. */
export function simulatorOptions(parsed: SimValues): SimulatorOptions & { trustedKeysOut: string } {
  const values = parsed as { [name in Exclude<keyof typeof SIM_ARGS, 'cors-origin'>]?: string } & { 'cors-origin'?: string[] };
  const accessKeyId = values['access-key-id'];
  const accessKeySecret = values['access-key-secret'];
  const securityToken = values['security-token'];
  if ((accessKeyId === undefined) !== (accessKeySecret === undefined)) throw new UsageError('--access-key-id and --access-key-secret go together');
  if (securityToken !== undefined && accessKeyId === undefined) throw new UsageError('--security-token needs --access-key-id and --access-key-secret');
  const dataDir = values.data ?? SIM_DEFAULTS.data;
  const notifyUrl = values['notify-url'];
  if (notifyUrl !== undefined && !/^https?:\/\/[^/]/.test(notifyUrl)) throw new UsageError('--notify-url must be an http(s) URL');
  return {
    dataDir,
    bucket: values.bucket ?? SIM_DEFAULTS.bucket,
    port: wholeNumberOption(values.port, 'port', SIM_DEFAULTS.port, 0, 65_535),
    host: values.host ?? SIM_DEFAULTS.host,
    trustedKeysOut: values['trusted-keys-out'] ?? join(dataDir, 'trusted-keys.json'),
    callbackTimeoutMs: wholeNumberOption(values['callback-timeout-ms'], 'callback-timeout-ms', SIM_DEFAULTS.callbackTimeoutMs, 1, 60_000),
    ...(values['cors-origin'] ? { corsOrigins: values['cors-origin'] } : {}),
    ...(notifyUrl !== undefined ? { notifyUrl } : {}),
    ...(accessKeyId !== undefined && accessKeySecret !== undefined
      ? { credentials: { accessKeyId, accessKeySecret, ...(securityToken !== undefined ? { securityToken } : {}) } }
      : {}),
  };
}

/** The ali-oss options that reach the simulator; the secret is never printed, only named. */
export function aliOssOptions(sim: Simulator, options: SimulatorOptions): string {
  const id = options.credentials?.accessKeyId ?? 'any-id';
  const secret = options.credentials ? '<the --access-key-secret you chose>' : 'any-secret';
  return `new OSS({ endpoint: '${sim.url}', cname: true, bucket: '${sim.bucket}', accessKeyId: '${id}', accessKeySecret: '${secret}' })`;
}

export async function untilStopped(close: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** The simulator's parsers are optional peers of the package: a library user never needs them. */
const SIMULATOR_PACKAGES = ['busboy', 'fast-xml-parser', 'image-size'] as const;

export async function runSimulator(options: SimulatorOptions, io: CommandIo): Promise<Simulator> {
  const { startSimulator } = await withPeers(SIMULATOR_PACKAGES, 'the simulator', () => import('../../sim/simulator.js'));
  return startSimulator({ ...options, logger: jsonLogger('info', io.stdout) });
}

export const command: Command = {
  summary: 'run a local OSS simulator that uploads and calls back like OSS',
  usage: `Usage: oss-callback sim [options]

A local stand-in for one OSS bucket, for trying uploads with callbacks without a cloud account. The
unmodified ali-oss client talks to it (PutObject, PostObject forms, multipart uploads, GetObject,
HeadObject, DeleteObject, ListObjectsV2); after each upload with a callback it calls the
callbackUrl, signed as OSS signs, with its own key. It serves that key's public half and writes a
trusted-keys file for the receiver, so 'OSS_CALLBACK_TRUSTED_KEYS=<file> oss-callback serve' accepts
its callbacks.

Unlike OSS it calls back private and loopback addresses, and it never reports a VPC id.

Options:
${SIM_USAGE_OPTIONS}`,
  async run(argv, io) {
    const options = simulatorOptions(parseCommandArgs(argv, SIM_ARGS, false).values);
    const sim = await runSimulator(options, io);
    io.stderr(
      `oss simulator on ${sim.url}, bucket ${sim.bucket}, data in ${options.dataDir}\n` +
        `callback key ${sim.keyUrl}; trusted keys written to ${options.trustedKeysOut}\n` +
        `requests: ${options.credentials ? `signed with access key id ${options.credentials.accessKeyId}` : 'any credentials accepted'}\n\n` +
        `ali-oss: ${aliOssOptions(sim, options)}\nCtrl-C stops it\n`,
    );
    await untilStopped(() => sim.close());
    return EXIT.ok;
  },
};

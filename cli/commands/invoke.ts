import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { aliyunCredentialsFromEnv } from '../../lib/credentials.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { CONTENT_TYPES } from '../../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, requireOption, type Command } from '../args.js';
import { devKeyUrl } from '../dev-key-url.js';
import { fcApiTransport, parseFcTarget } from '../fc-api-transport.js';
import { contractProbes, runProbes, type Transport } from '../remote-check.js';
import { sendRequest } from '../send-request.js';
import { readPrivateKey } from './sign.js';

/** The committed development key, which the dev stage and the local-invoke defaults trust. */
const COMMITTED_KEY = { file: 'test/dev-key/private.pem', keyUrl: 'https://oss-callback.dev.invalid/dev-key.pem' };
const DEFAULT_PATH = '/oss/callback';
/** Long enough to report a slow answer as slow rather than as none. */
const TIMEOUT_MS = 10_000;

/** Every option beside its help, so none goes without. */
const OPTIONS = {
  remote: { type: 'string', value: 'TARGET', help: ['the deployed receiver, as above (required)'] },
  key: {
    type: 'string',
    value: 'FILE',
    help: ['PEM private key to sign with; the stage must trust its key URL', `(default ${COMMITTED_KEY.file}, the committed key the dev stage trusts)`],
  },
  'key-url': {
    type: 'string',
    value: 'URL',
    help: ["the key URL the signature names (default: for --key, the URL 'oss-callback keygen'", 'pins that key under; for the committed key,', `${COMMITTED_KEY.keyUrl})`],
  },
  bucket: { type: 'string', value: 'NAME', help: ['the bucket the sample callback names (default oss-callback-check)'] },
  path: { type: 'string', value: 'PATH', help: [`fc: only: the callback path in the event (default ${DEFAULT_PATH})`] },
  'account-id': { type: 'string', value: 'ID', help: ['fc: only: your Alibaba Cloud account id (default $ALIBABA_CLOUD_ACCOUNT_ID)'] },
  qualifier: { type: 'string', value: 'Q', help: ['fc: only: the version or alias to invoke (default LATEST)'] },
  'fc-endpoint': { type: 'string', value: 'URL', help: ['fc: only: the API endpoint (default https://<account-id>.<region>.fc.aliyuncs.com)'] },
} as const;

function optionHelp(): string {
  return Object.entries(OPTIONS)
    .flatMap(([name, { value, help }]) => help.map((line, i) => `  ${(i === 0 ? `--${name} ${value}` : '').padEnd(20)}${line}`))
    .join('\n');
}

export const command: Command = {
  summary: 'check a deployed receiver answers as OSS needs (invoke --remote)',
  usage: `Usage: oss-callback invoke --remote TARGET [--key FILE] [--key-url URL] [--bucket NAME]
                           [--path PATH] [--account-id ID] [--qualifier Q] [--fc-endpoint URL]

Checks a deployed receiver before uploads point at it. Sends a signed sample callback (a PutObject
of oss-callback-check/<time>.txt with a new request id: the deployed store records it), the same
callback without its signature, and GET /healthz, and checks each answer against the contract:
status 200 with the record / 401 MissingSignature / 200, a JSON body, a Content-Length that is the
body's length, and an answer within the 5 s OSS waits. Exit 0 when all hold, 1 otherwise. A stage
that requires upload tickets refuses the sample callback (TicketMissing): check it before turning
OSS_CALLBACK_REQUIRE_TICKET on.

TARGET is either
  https://…                          the function URL or HTTP trigger URL given to OSS as callbackUrl:
                                     the callback goes to it, signed over its path and query, and
                                     /healthz to the same origin
  fc:<region>/<service>/<function>   Function Compute through its API (2016-08-15, with the optional
                                     package @alicloud/fc2): each request reaches the FC 3.0 event
                                     handler (callback.fc3) as its HTTP trigger event, so a function
                                     behind an authenticated trigger can be checked; signed with
                                     ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (/ _SECURITY_TOKEN for STS)

Options:
${optionHelp()}
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, OPTIONS, false);
    const remote = requireOption(values.remote, 'remote');
    const fn = parseFcTarget(remote);
    if (!fn && !/^https?:\/\/[^/]/i.test(remote)) throw new UsageError('--remote takes an http(s) URL or fc:<region>/<service>/<function>');
    if (fn && values.qualifier) fn.qualifier = values.qualifier;
    const signer = signingKey(values.key, values['key-url']);
    const reqId = randomBytes(12).toString('hex').toUpperCase();
    const bucket = values.bucket ?? 'oss-callback-check';
    const url = fn ? `https://${fn.function}.fc.invalid${values.path ?? DEFAULT_PATH}` : remote;
    const body = `bucket=${encodeURIComponent(bucket)}&object=oss-callback-check%2F${new Date().toISOString()}.txt&size=5&mimeType=text%2Fplain&reqId=${reqId}&operation=PutObject`;
    const signed = signedCallback({ ...signer, url, body: Buffer.from(body), contentType: CONTENT_TYPES.form, bucket, requestId: reqId });

    let transport: Transport;
    if (fn) {
      const accountId = requireOption(values['account-id'] ?? io.env.ALIBABA_CLOUD_ACCOUNT_ID, 'account-id');
      const credentials = aliyunCredentialsFromEnv(io.env);
      if (!credentials) throw new UsageError('fc: targets are invoked with ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET; set them');
      transport = await fcApiTransport(fn, { accountId, credentials, endpoint: values['fc-endpoint'], timeoutMs: TIMEOUT_MS });
    } else {
      transport = (request) => sendRequest(remote, request);
    }
    io.stdout(`checking ${remote} (signed with the key at ${signer.keyUrl})\n`);
    return (await runProbes(contractProbes(signed, reqId), transport, (line) => io.stdout(`${line}\n`))) ? EXIT.ok : EXIT.refused;
  },
};

/** The key to sign with and the URL it is named by: given, derived as keygen derives it, or the committed key. */
function signingKey(file: string | undefined, keyUrl: string | undefined) {
  if (file === undefined && !existsSync(COMMITTED_KEY.file)) {
    throw new UsageError(`give --key (and --key-url): the committed key ${COMMITTED_KEY.file} is not in this folder`);
  }
  const privateKey = readPrivateKey(file ?? COMMITTED_KEY.file);
  return { privateKey, keyUrl: keyUrl ?? (file === undefined ? COMMITTED_KEY.keyUrl : devKeyUrl(createPublicKey(privateKey))) };
}

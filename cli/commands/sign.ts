import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CallbackRequest } from '../../lib/exchange.js';
import { fc2RequestFileOf, fc3EventOf, lambdaUrlEventOf, type SampleEventOptions } from '../../lib/platforms/sample-events.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { CONTENT_TYPES } from '../../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, requireOption, type Command } from '../args.js';
import { devKeyUrl } from '../dev-key-url.js';
import { formatRawRequest } from '../raw-request.js';
import { sendRequest } from '../send-request.js';
import { bodyType } from './template.js';

export function readPrivateKey(path: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new UsageError(`--key ${path}: cannot read a PEM private key (${(error as Error).message})`);
  }
}

/** What `--as` writes: the raw HTTP request, or the event one door's handler receives. */
const FORMATS = {
  http: (request: CallbackRequest) => formatRawRequest(request),
  'lambda-url': (request: CallbackRequest, options: SampleEventOptions) => asJson(lambdaUrlEventOf(request, options)),
  fc3: (request: CallbackRequest, options: SampleEventOptions) => asJson(fc3EventOf(request, options)),
  fc2: (request: CallbackRequest, options: SampleEventOptions) => asJson(fc2RequestFileOf(request, options)),
} as const;

type Format = keyof typeof FORMATS;

function asJson(event: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(event, null, 2)}\n`);
}

function formatOf(value: string | undefined): Format {
  if (value === undefined) return 'http';
  if (!Object.hasOwn(FORMATS, value)) throw new UsageError(`--as must be one of ${Object.keys(FORMATS).join(', ')}`);
  return value as Format;
}

function dateOf(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--date ${JSON.stringify(value)} is not a date`);
  return date;
}

export interface SignArgs {
  request: CallbackRequest;
  format: Format;
  eventOptions: SampleEventOptions;
  /** With --send: the callback URL to POST the signed request to. */
  send?: string;
}

export function signArgs(argv: string[]): SignArgs {
  const { values } = parseCommandArgs(
    argv,
    {
      key: { type: 'string' },
      'key-url': { type: 'string' },
      url: { type: 'string' },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      type: { type: 'string' },
      bucket: { type: 'string' },
      'request-id': { type: 'string' },
      as: { type: 'string' },
      'base64-body': { type: 'boolean' },
      date: { type: 'string' },
      send: { type: 'boolean' },
    },
    false,
  );
  if ((values.body === undefined) === (values['body-file'] === undefined)) throw new UsageError('give exactly one of --body and --body-file');
  const format = formatOf(values.as);
  if (values['base64-body'] && format === 'http') throw new UsageError('--base64-body applies to --as lambda-url, fc3 or fc2');
  if (values.send && format !== 'http') throw new UsageError('--send sends the HTTP request; it does not combine with --as');
  const date = dateOf(values.date);
  const body = values.body !== undefined ? Buffer.from(values.body, 'utf8') : readFileSync(values['body-file']!);
  const privateKey = readPrivateKey(requireOption(values.key, 'key'));
  const request = signedCallback({
    privateKey,
    keyUrl: values['key-url'] ?? devKeyUrl(createPublicKey(privateKey)),
    url: requireOption(values.url, 'url'),
    body,
    contentType: CONTENT_TYPES[bodyType(values.type)],
    bucket: values.bucket,
    requestId: values['request-id'],
    date,
  });
  const eventOptions: SampleEventOptions = { base64Body: values['base64-body'] ?? false };
  if (date) eventOptions.time = date;
  return { request, format, eventOptions, send: values.send ? values.url! : undefined };
}

export const command: Command = {
  summary: 'sign a callback as OSS would, with a development key',
  usage: `Usage: oss-callback sign --key PRIVATE.pem [--key-url URL] --url CALLBACK_URL
                         (--body BODY | --body-file FILE) [--type form|json] [--send]
                         [--as http|lambda-url|fc3|fc2] [--base64-body] [--date DATE]
                         [--bucket NAME] [--request-id ID]

Prints a raw HTTP request exactly as OSS would send it to CALLBACK_URL: signed over the decoded path,
the raw query and the body, with OSS's headers. Pipe it to 'oss-callback verify -', or send it to a
running receiver with --send. With --as, prints instead the JSON event that door's handler
receives for that request (FC 2.0: the request as a file for 'npm run invoke:fc2').

Options:
  --key FILE          PEM private key (see 'oss-callback keygen')
  --key-url URL       the key URL the signature names, which the receiver must trust (default: the
                      URL 'oss-callback keygen' pins this key under)
  --url URL           the callbackUrl; its path and query are signed as written
  --body BODY         the callback body, e.g. 'bucket=b&object=a.png&size=3'
  --body-file FILE    read the body from a file instead
  --type form|json    body type (default form)
  --bucket NAME       x-oss-bucket header (informational; OSS does not sign it)
  --request-id ID     x-oss-request-id header (default random)
  --as FORMAT         http (default), lambda-url (function URL / HTTP API payload 2.0), fc3, fc2
  --base64-body       in an event, deliver the body base64-encoded as gateways do for binary types
  --date DATE         the Date header and event time (default now), for reproducible output
  --send              POST the signed request to --url and print the answer instead (exit 1 unless 200)
`,
  async run(argv, io) {
    const { request, format, eventOptions, send } = signArgs(argv);
    if (send === undefined) {
      io.stdout(FORMATS[format](request, eventOptions));
      return EXIT.ok;
    }
    const answer = await sendRequest(send, request);
    io.stdout(`HTTP ${answer.status}\n${answer.body.toString('utf8')}\n`);
    return answer.status === 200 ? EXIT.ok : EXIT.refused;
  },
};

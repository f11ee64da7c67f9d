import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CallbackRequest } from '../../lib/exchange.js';
import { signedCallback } from '../../lib/protocol/sign.js';
import { CONTENT_TYPES } from '../../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, requireOption, type Command } from '../args.js';
import { formatRawRequest } from '../raw-request.js';
import { bodyType } from './template.js';

function readPrivateKey(path: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new UsageError(`--key ${path}: cannot read a PEM private key (${(error as Error).message})`);
  }
}

export interface SignArgs {
  request: CallbackRequest;
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
    },
    false,
  );
  if ((values.body === undefined) === (values['body-file'] === undefined)) throw new UsageError('give exactly one of --body and --body-file');
  const body = values.body !== undefined ? Buffer.from(values.body, 'utf8') : readFileSync(values['body-file']!);
  const request = signedCallback({
    privateKey: readPrivateKey(requireOption(values.key, 'key')),
    keyUrl: requireOption(values['key-url'], 'key-url'),
    url: requireOption(values.url, 'url'),
    body,
    contentType: CONTENT_TYPES[bodyType(values.type)],
    bucket: values.bucket,
    requestId: values['request-id'],
  });
  return { request };
}

export const command: Command = {
  summary: 'sign a callback as OSS would, with a development key',
  usage: `Usage: oss-callback sign --key PRIVATE.pem --key-url URL --url CALLBACK_URL
                         (--body BODY | --body-file FILE) [--type form|json]

Prints a raw HTTP request exactly as OSS would send it to CALLBACK_URL: signed over the decoded path,
the raw query and the body, with OSS's headers. Pipe it to 'oss-callback verify -' or send it with
'curl' or 'nc' to a running receiver.

Options:
  --key FILE          PEM private key (see 'oss-callback keygen')
  --key-url URL       the key URL the signature names (must be trusted by the receiver)
  --url URL           the callbackUrl; its path and query are signed as written
  --body BODY         the callback body, e.g. 'bucket=b&object=a.png&size=3'
  --body-file FILE    read the body from a file instead
  --type form|json    body type (default form)
  --bucket NAME       x-oss-bucket header (informational; OSS does not sign it)
  --request-id ID     x-oss-request-id header (default random)
`,
  async run(argv, io) {
    const { request } = signArgs(argv);
    io.stdout(formatRawRequest(request));
    return EXIT.ok;
  },
};

import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { createReceiver, jsonLogger, type CallbackReceiver, type LogFields } from '../../lib/index.js';
import { signRequest, testKey, type SignRequestOptions } from './keys.js';

/**
 * The library as an app uses it, for the framework tests: a receiver built with `createReceiver` (a
 * memory store, the test key trusted in code, log lines kept), callbacks signed with the test key for
 * the path the app mounts them on and sent over real HTTP with the target byte for byte.
 */
export const trustedKeys = { [testKey.keyUrl]: testKey.publicPem };

export interface TestReceiver {
  receiver: CallbackReceiver;
  lines: LogFields[];
}

/** A receiver for the whole test file; its log lines are kept in `lines`. */
export function libraryReceiver(): TestReceiver {
  const kept: TestReceiver = { receiver: undefined as unknown as CallbackReceiver, lines: [] };
  beforeAll(async () => {
    const logger = jsonLogger('info', (line) => void kept.lines.push(JSON.parse(line) as LogFields));
    kept.receiver = await createReceiver({ store: 'memory:', trustedKeys, logger, env: {} });
  });
  afterAll(() => kept.receiver.close());
  return kept;
}

/** Serve the app on a free loopback port for the test file; `url` is set before the first test runs. */
export function serving(app: () => RequestListener): { url: string } {
  const served = { url: '' };
  const server = createServer();
  beforeAll(async () => {
    server.on('request', app());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return served;
}

export interface Delivered {
  status: number;
  json: { Status: string; code?: string; message?: string; record?: { object: string } };
  /** Milliseconds from sending to the whole answer. */
  ms: number;
}

export const FORM_BODY = 'bucket=photos&object=users%2F42%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=48213&x:uid=42';
export const JSON_BODY = '{"bucket":"photos","object":"users/42/dog.jpg","etag":"0CC175B9C0F1B6A831C399E269772661","size":7}';

/** Sign a callback for `rawPath` and POST it to the app at `baseUrl`; `tamper` changes the body after signing. */
export async function deliver(baseUrl: string, options: SignRequestOptions & { tamper?: boolean }): Promise<Delivered> {
  const request = signRequest(options);
  if (options.tamper) request.body = Buffer.from(request.body.toString().replace('photos', 'photo5'));
  const started = Date.now();
  const answer = await sendRequest(baseUrl, request);
  return { status: answer.status, json: JSON.parse(answer.body.toString('utf8')), ms: Date.now() - started };
}

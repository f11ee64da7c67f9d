import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendRequest } from '../../../cli/send-request.js';
import { nodeHandler } from '../../../lib/platforms/node.js';
import { ConfigError, createReceiver, jsonLogger } from '../../../lib/index.js';
import { signRequest, testKey } from '../../support/keys.js';

/** The node door on a bare node:http server: the receiver as a promise, a body read first, a body too large. */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => Promise.all(closers.splice(0).map((close) => close())));

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const body = (answer: { body: Buffer }) => JSON.parse(answer.body.toString());

describe('nodeHandler on node:http', () => {
  it('takes the promise createReceiver returns, so an app mounts it without awaiting', async () => {
    const url = await serve(nodeHandler(createReceiver({ store: 'memory:', trustedKeys: { [testKey.keyUrl]: testKey.publicPem }, env: {}, logger: jsonLogger('silent') })));

    const answer = await sendRequest(url, signRequest());

    expect(answer.status).toBe(200);
  });

  it('answers every callback 500 Misconfigured, saying why, when the receiver could not be built', async () => {
    const url = await serve(nodeHandler(Promise.reject(new ConfigError('deadlineMs must be a whole number from 100 to 4800, got 50'))));

    const answer = await sendRequest(url, signRequest());

    expect(answer.status).toBe(500);
    expect(body(answer)).toMatchObject({ code: 'Misconfigured', message: 'the receiver could not start: deadlineMs must be a whole number from 100 to 4800, got 50' });
  });

  it('answers 500 Misconfigured at once when something read the stream before it', async () => {
    const handler = nodeHandler(createReceiver({ store: 'memory:', env: {}, logger: jsonLogger('silent') }));
    const url = await serve((req, res) => {
      req.resume();
      req.once('end', () => void handler(req, res));
    });

    const answer = await sendRequest(url, signRequest());

    expect(answer.status).toBe(500);
    expect(body(answer).message).toMatch(/^the callback's body was read by a body parser before this handler/);
  });

  it('refuses a body over the largest limit as it reads it', async () => {
    const url = await serve(nodeHandler(createReceiver({ store: 'memory:', env: {}, logger: jsonLogger('silent') })));

    const answer = await sendRequest(url, signRequest({ body: 'x'.repeat(1_048_577) }));

    expect(answer.status).toBe(413);
    expect(body(answer).code).toBe('BodyTooLarge');
  });
});

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ossCallbacks } from '../../../examples/fastify-callbacks.js';
import { nodeHandler } from '../../../lib/entries/node.js';
import { deliver, FORM_BODY, JSON_BODY, libraryReceiver } from '../../support/framework-apps.js';

/**
 * Fastify 5. Its content-type parsers read the body before any handler, and a type it has no parser
 * for (a form) is refused with 415. The callback route is the README's plugin, examples/fastify-callbacks.ts,
 * whose only parser keeps every body as a Buffer.
 */
const kept = libraryReceiver();

async function app(): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(ossCallbacks, { prefix: '/hooks', receiver: kept.receiver });
  // The node door on a route behind Fastify's default parsers (JSON and text).
  const handler = nodeHandler(kept.receiver);
  app.post('/default/oss/callback', (request, reply) => {
    reply.hijack();
    return handler(request.raw, reply.raw);
  });
  return app;
}

let fastify: FastifyInstance;
let url: string;
beforeAll(async () => {
  fastify = await app();
  url = await fastify.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => fastify.close());

describe('Fastify 5', () => {
  it('records a signed callback under a plugin prefix, from the Buffer its parser kept', async () => {
    const form = await deliver(url, { rawPath: '/hooks/oss/callback', body: FORM_BODY });
    const json = await deliver(url, { rawPath: '/hooks/oss/callback', body: JSON_BODY, type: 'json' });

    expect([form.status, json.status]).toEqual([200, 200]);
    expect(await kept.receiver.store.list({ bucket: 'photos' })).toHaveLength(2);
  });

  it('refuses a tampered callback with 401 SignatureMismatch', async () => {
    const answer = await deliver(url, { rawPath: '/hooks/oss/callback', body: JSON_BODY, type: 'json', tamper: true });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch' } });
  });

  it('behind the default parsers: a JSON callback is 500 Misconfigured at once, a form one is Fastify’s own 415', async () => {
    const json = await deliver(url, { rawPath: '/default/oss/callback', body: JSON_BODY, type: 'json' });
    const form = await deliver(url, { rawPath: '/default/oss/callback', body: FORM_BODY });

    expect(json).toMatchObject({ status: 500, json: { code: 'Misconfigured', message: expect.stringMatching(/Fastify a '\*' content-type parser/) } });
    expect(form.status).toBe(415);
    expect(Math.max(json.ms, form.ms)).toBeLessThan(1000);
  });
});


import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { fetchHandler } from '../../../lib/entries/fetch.js';
import { deliver, FORM_BODY, JSON_BODY, libraryReceiver, serving } from '../../support/framework-apps.js';

/** Hono on @hono/node-server with the Fetch door, in a sub-app mounted with app.route(). */
const kept = libraryReceiver();

const app = serving(() => {
  const handler = fetchHandler(kept.receiver);
  const api = new Hono();
  api.post('/oss/callback', (c) => handler(c.req.raw));
  // A body read before the handler, as a validator or a logging middleware might.
  api.post(
    '/read/oss/callback',
    async (c, next) => {
      await c.req.parseBody();
      await next();
    },
    (c) => handler(c.req.raw),
  );
  const app = new Hono();
  app.route('/api', api);
  return getRequestListener(app.fetch);
});

describe('Hono on @hono/node-server: fetchHandler', () => {
  it('records a signed callback in a sub-app mounted under /api (request.url is the whole URL)', async () => {
    const form = await deliver(app.url, { rawPath: '/api/oss/callback', body: FORM_BODY });
    const json = await deliver(app.url, { rawPath: '/api/oss/callback', rawQuery: 'tenant=7&a=b', body: JSON_BODY, type: 'json' });

    expect([form.status, json.status]).toEqual([200, 200]);
    expect(kept.lines.at(-1)).toMatchObject({ status: 200, path: '/api/oss/callback' });
    expect(kept.lines.at(-1)).not.toHaveProperty('urlNormalized');
  });

  it('refuses a tampered callback with 401 SignatureMismatch, not blaming the URL parser where it changed nothing', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/oss/callback', body: FORM_BODY, tamper: true });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch', message: 'the signature does not match the path, query and body received' } });
  });

  it("records a callback whose query holds a quote: @hono/node-server hands the Request the target as sent", async () => {
    const answer = await deliver(app.url, { rawPath: '/api/oss/callback', rawQuery: "name=o'brien", body: FORM_BODY });

    expect(answer.status).toBe(200);
  });

  it('sees a path with dot segments as the URL parser resolved it, which leaves no trace to name', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/x/../oss/callback', body: FORM_BODY });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch' } });
    expect(kept.lines.at(-1)).toMatchObject({ path: '/api/oss/callback', code: 'SignatureMismatch' });
  });

  it('answers 500 Misconfigured at once when the body was read before the handler', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/read/oss/callback', body: FORM_BODY });

    expect(answer).toMatchObject({ status: 500, json: { code: 'Misconfigured', message: expect.stringMatching(/untouched Request/) } });
    expect(answer.ms).toBeLessThan(1000);
  });
});

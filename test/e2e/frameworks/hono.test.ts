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
    expect(kept.lines.at(-1)).toMatchObject({ status: 200, urlNormalized: true, path: '/api/oss/callback' });
  });

  it('refuses a tampered callback with 401 SignatureMismatch that names the URL parser as a possible cause', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/oss/callback', body: FORM_BODY, tamper: true });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch', message: expect.stringMatching(/WHATWG URL parser/) } });
  });

  it('sees a path with dot segments as the URL parser resolved it, and says so when the signature fails', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/x/../oss/callback', body: FORM_BODY });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch', message: expect.stringMatching(/resolves dot segments/) } });
    expect(kept.lines.at(-1)).toMatchObject({ path: '/api/oss/callback', urlNormalized: true, code: 'SignatureMismatch' });
  });

  it('answers 500 Misconfigured at once when the body was read before the handler', async () => {
    const answer = await deliver(app.url, { rawPath: '/api/read/oss/callback', body: FORM_BODY });

    expect(answer).toMatchObject({ status: 500, json: { code: 'Misconfigured', message: expect.stringMatching(/untouched Request/) } });
    expect(answer.ms).toBeLessThan(1000);
  });
});

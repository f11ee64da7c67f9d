import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { sendRequest } from '../../../cli/send-request.js';
import { koaHandler } from '../../../lib/entries/koa.js';
import { deliver, FORM_BODY, JSON_BODY, libraryReceiver, serving } from '../../support/framework-apps.js';
import { signRequest } from '../../support/keys.js';

/** Koa 3 with @koa/router, the callback under a router prefix, before and behind @koa/bodyparser. */
const kept = libraryReceiver();

const app = serving(() => {
  const handler = koaHandler(kept.receiver);
  const app = new Koa();
  const hooks = new Router({ prefix: '/hooks' });
  hooks.post('/oss/callback', handler);
  app.use(hooks.routes());
  // Every route below sits behind a body parser, as most Koa apps mount one for all routes.
  app.use(bodyParser({ enableTypes: ['json', 'form', 'text'] }));
  const parsed = new Router({ prefix: '/parsed' });
  parsed.post('/oss/callback', handler);
  app.use(parsed.routes());
  return app.callback();
});

describe('Koa 3: koaHandler', () => {
  it('records a signed callback under a router prefix (the signature covers ctx.originalUrl)', async () => {
    const form = await deliver(app.url, { rawPath: '/hooks/oss/callback', body: FORM_BODY });
    const json = await deliver(app.url, { rawPath: '/hooks/oss/callback', body: JSON_BODY, type: 'json' });

    expect([form.status, json.status]).toEqual([200, 200]);
    expect(await kept.receiver.store.list({ bucket: 'photos' })).toHaveLength(2);
  });

  it('answers JSON with a Content-Length, as OSS requires', async () => {
    const answer = await sendRequest(app.url, signRequest({ rawPath: '/hooks/oss/callback', body: FORM_BODY }));

    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
  });

  it('refuses a tampered callback with 401 SignatureMismatch', async () => {
    const answer = await deliver(app.url, { rawPath: '/hooks/oss/callback', body: FORM_BODY, tamper: true });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch' } });
  });

  it('behind @koa/bodyparser (which keeps text, not bytes), answers 500 Misconfigured at once, naming the fix', async () => {
    const form = await deliver(app.url, { rawPath: '/parsed/oss/callback', body: FORM_BODY });
    const json = await deliver(app.url, { rawPath: '/parsed/oss/callback', body: JSON_BODY, type: 'json' });

    for (const answer of [form, json]) {
      expect(answer).toMatchObject({ status: 500, json: { code: 'Misconfigured', message: expect.stringMatching(/before bodyParser\(\)/) } });
      expect(answer.ms).toBeLessThan(1000);
    }
    expect(kept.lines.at(-1)).toMatchObject({ level: 'error', code: 'Misconfigured', path: '/parsed/oss/callback' });
  });
});

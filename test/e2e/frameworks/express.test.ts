import type { IncomingMessage } from 'node:http';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { nodeHandler } from '../../../lib/entries/node.js';
import { deliver, FORM_BODY, JSON_BODY, libraryReceiver, serving } from '../../support/framework-apps.js';

/**
 * Express 5 with the node door, mounted as apps mount it: on a router under a prefix (Express
 * shortens req.url; OSS signed the full path), before and behind body parsers.
 */
const kept = libraryReceiver();

const app = serving(() => {
  const handler = nodeHandler(kept.receiver);
  const app = express();
  const hooks = express.Router();
  hooks.post('/oss/callback', handler);
  app.use('/hooks', hooks);
  app.post('/parsed/form/oss/callback', express.urlencoded({ extended: false }), handler);
  app.post('/parsed/json/oss/callback', express.json(), handler);
  app.post('/raw/oss/callback', express.raw({ type: '*/*' }), handler);
  return app;
});

/** What NestFactory.create(AppModule, { rawBody: true }) installs: parsers that keep the bytes in req.rawBody. */
const nest = serving(() => {
  const nest = express();
  const keep = (req: IncomingMessage, _res: unknown, bytes: Buffer) => void Object.assign(req, { rawBody: bytes });
  nest.use(express.json({ verify: keep }), express.urlencoded({ extended: true, verify: keep }));
  nest.post('/api/oss/callback', nodeHandler(kept.receiver));
  return nest;
});

describe('Express 5: nodeHandler', () => {
  it('records a signed callback on a router mounted under a prefix (the signature covers req.originalUrl)', async () => {
    const answer = await deliver(app.url, { rawPath: '/hooks/oss/callback', body: FORM_BODY });

    expect(answer.status).toBe(200);
    expect(answer.json.record?.object).toBe('users/42/cat.jpg');
    expect(await kept.receiver.store.list({ bucket: 'photos', prefix: 'users/42/cat' })).toHaveLength(1);
  });

  it('refuses a tampered callback with 401 SignatureMismatch', async () => {
    const answer = await deliver(app.url, { rawPath: '/hooks/oss/callback', body: FORM_BODY, tamper: true });

    expect(answer.status).toBe(401);
    expect(answer.json.code).toBe('SignatureMismatch');
  });

  it('behind express.urlencoded(), answers 500 Misconfigured at once, naming the fix, and logs it', async () => {
    const answer = await deliver(app.url, { rawPath: '/parsed/form/oss/callback', body: FORM_BODY });

    expect(answer.status).toBe(500);
    expect(answer.json.code).toBe('Misconfigured');
    expect(answer.json.message).toMatch(/before any body parser \(express\.json\(\), express\.urlencoded\(\).*express\.raw\(\{ type: '\*\/\*' \}\)/);
    expect(answer.ms).toBeLessThan(1000);
    expect(kept.lines.at(-1)).toMatchObject({ level: 'error', status: 500, code: 'Misconfigured', path: '/parsed/form/oss/callback' });
  });

  it('behind express.json(), records a form callback (the parser left the stream) and refuses a JSON one at once', async () => {
    const form = await deliver(app.url, { rawPath: '/parsed/json/oss/callback', body: FORM_BODY });
    const json = await deliver(app.url, { rawPath: '/parsed/json/oss/callback', body: JSON_BODY, type: 'json' });

    expect(form.status).toBe(200);
    expect(json).toMatchObject({ status: 500, json: { code: 'Misconfigured' } });
    expect(json.ms).toBeLessThan(1000);
  });

  it('behind express.raw(), verifies the Buffer it kept', async () => {
    const form = await deliver(app.url, { rawPath: '/raw/oss/callback', body: FORM_BODY });
    const json = await deliver(app.url, { rawPath: '/raw/oss/callback', body: JSON_BODY, type: 'json' });
    const tampered = await deliver(app.url, { rawPath: '/raw/oss/callback', body: JSON_BODY, type: 'json', tamper: true });

    expect([form.status, json.status, tampered.status]).toEqual([200, 200, 401]);
    expect(json.json.record?.object).toBe('users/42/dog.jpg');
  });

  it('uses the raw body NestJS keeps in req.rawBody (rawBody: true) behind its parsers', async () => {
    const form = await deliver(nest.url, { rawPath: '/api/oss/callback', body: FORM_BODY });
    const json = await deliver(nest.url, { rawPath: '/api/oss/callback', body: JSON_BODY, type: 'json' });

    expect([form.status, json.status]).toEqual([200, 200]);
  });
});

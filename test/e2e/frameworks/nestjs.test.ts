import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Receiver } from '../../../lib/exchange.js';
import { bundleScript } from '../../support/bundle-script.js';
import { deliver, FORM_BODY, JSON_BODY, libraryReceiver } from '../../support/framework-apps.js';

/**
 * A real NestJS 11 app on Express with the node door, as the README mounts it: a controller whose
 * handler takes @Req() and @Res(), under a global prefix, with and without `rawBody: true`. Nest's
 * decorators are TypeScript's legacy ones, which the test runner does not compile: the app is
 * bundled with esbuild (experimentalDecorators) and imported.
 */
const APP = `
import 'reflect-metadata';
import { Controller, Module, Post, Req, Res, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request, Response } from 'express';
import { nodeHandler } from './lib/entries/node.js';
import type { Receiver } from './lib/exchange.js';

export async function startNest(receiver: Receiver, rawBody: boolean): Promise<INestApplication> {
  const onCallback = nodeHandler(receiver);

  @Controller('oss')
  class OssCallbackController {
    @Post('callback')
    async callback(@Req() req: Request, @Res() res: Response): Promise<void> {
      await onCallback(req, res);
    }
  }

  @Module({ controllers: [OssCallbackController] })
  class AppModule {}

  const app = await NestFactory.create(AppModule, { rawBody, logger: false });
  app.setGlobalPrefix('api');
  await app.listen(0, '127.0.0.1');
  return app;
}
`;

type Nest = { getHttpServer(): { address(): AddressInfo }; close(): Promise<void> };
const kept = libraryReceiver();
const apps: Record<'raw' | 'parsed', { url: string; app?: Nest }> = { raw: { url: '' }, parsed: { url: '' } };

beforeAll(async () => {
  const { startNest } = (await import(await bundleScript('nestjs-app', APP, { experimentalDecorators: true }))) as { startNest(receiver: Receiver, rawBody: boolean): Promise<Nest> };
  for (const [name, rawBody] of [['raw', true], ['parsed', false]] as const) {
    const app = await startNest(kept.receiver, rawBody);
    apps[name] = { app, url: `http://127.0.0.1:${app.getHttpServer().address().port}` };
  }
}, 60_000);
afterAll(() => Promise.all(Object.values(apps).map(({ app }) => app?.close())));

describe('NestJS 11 on Express: nodeHandler in a controller', () => {
  it('with rawBody: true, records form and JSON callbacks under the global prefix (Nest parsed them, and kept the bytes)', async () => {
    const form = await deliver(apps.raw.url, { rawPath: '/api/oss/callback', body: FORM_BODY });
    const json = await deliver(apps.raw.url, { rawPath: '/api/oss/callback', rawQuery: 'tenant=7', body: JSON_BODY, type: 'json' });

    expect([form.status, json.status]).toEqual([200, 200]);
    expect([form.json.record?.object, json.json.record?.object]).toEqual(['users/42/cat.jpg', 'users/42/dog.jpg']);
  });

  it('with rawBody: true, refuses a tampered callback with 401 SignatureMismatch', async () => {
    const answer = await deliver(apps.raw.url, { rawPath: '/api/oss/callback', body: FORM_BODY, tamper: true });

    expect(answer).toMatchObject({ status: 401, json: { code: 'SignatureMismatch' } });
  });

  it('without rawBody, answers 500 Misconfigured at once, naming rawBody: true', async () => {
    const answer = await deliver(apps.parsed.url, { rawPath: '/api/oss/callback', body: FORM_BODY });

    expect(answer).toMatchObject({ status: 500, json: { code: 'Misconfigured', message: expect.stringContaining('{ rawBody: true } in NestJS') } });
  });
});

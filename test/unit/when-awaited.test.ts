import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchHandler } from '../../lib/entries/fetch.js';
import { createReceiver, jsonLogger, type LogFields } from '../../lib/index.js';
import { whenAwaited } from '../../lib/when-awaited.js';
import { signRequest, testKey } from '../support/keys.js';
import { tempDir } from '../support/temp-dir.js';

const turn = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('whenAwaited: work that starts when first waited for', () => {
  it('runs nothing until then, await, catch or finally, and runs once however often it is waited for', async () => {
    for (const wait of [(p: Promise<number>) => p.then((v) => v), async (p: Promise<number>) => await p, (p: Promise<number>) => p.catch(() => 0), (p: Promise<number>) => p.finally(() => {})]) {
      let runs = 0;
      const promise = whenAwaited(async () => ++runs);
      await turn();
      expect(runs).toBe(0);

      expect(await wait(promise)).toBe(1);
      expect(await Promise.all([promise, promise.then((v) => v * 10)])).toEqual([1, 10]);
      expect(runs).toBe(1);
    }
  });

  it('rejects with what the work throws, synchronously or not', async () => {
    await expect(whenAwaited(() => { throw new Error('at once'); })).rejects.toThrow('at once');
    await expect(whenAwaited(async () => { throw new Error('later'); })).rejects.toThrow('later');
  });
});

describe('createReceiver: nothing opened before the first request', () => {
  const dir = tempDir();
  const pem = testKey.publicPem;

  it('reads no trusted-keys file and opens no store until a door gets its first request', async () => {
    const keysFile = join(dir, 'trusted-keys.json');
    const database = join(dir, 'uploads.db');
    const lines: LogFields[] = [];
    const logger = jsonLogger('info', (line) => void lines.push(JSON.parse(line)));

    // As a route module does at its top level, evaluated by `next build`.
    const onFetch = fetchHandler(createReceiver({ store: `sqlite:${database}`, env: { OSS_CALLBACK_TRUSTED_KEYS: keysFile }, logger }));
    await turn();
    expect(existsSync(database)).toBe(false);

    // The file did not exist when the door was made: it was not read then.
    writeFileSync(keysFile, JSON.stringify({ [testKey.keyUrl]: pem }));
    const signed = signRequest({ body: 'bucket=photos&object=a.jpg&etag=E1' });
    const answer = await onFetch(new Request(`https://app.example.com${signed.rawPath}`, { method: 'POST', headers: signed.headers, body: signed.body }));

    expect(answer.status).toBe(200);
    expect(existsSync(database)).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ status: 200, keyUrl: testKey.keyUrl })]);
  });

  it('a receiver that cannot start fails on the first request, not as an unhandled rejection when mounted', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const onFetch = fetchHandler(createReceiver({ store: 'nonsense', env: {}, logger: jsonLogger('silent') }));
      await turn();
      const answer = await onFetch(new Request('https://app.example.com/oss/callback', { method: 'POST', body: 'bucket=a&object=b' }));

      expect(answer.status).toBe(500);
      expect(await answer.json()).toMatchObject({ code: 'Misconfigured', message: expect.stringMatching(/^the receiver could not start: the store "nonsense"/) });
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});

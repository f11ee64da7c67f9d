import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildReceiver } from '../../../lib/build-receiver.js';
import { confirmUploads } from '../../../lib/confirm/confirm-step.js';
import { ConfigError, loadConfig } from '../../../lib/config.js';
import { createBudget } from '../../../lib/deadline.js';
import { OssRefusal, OssUnreachable, type OssClient } from '../../../lib/oss/client.js';
import type { CallbackFields } from '../../../lib/protocol/callback-body.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import esbuildOptions from '../../../scripts/esbuild-options.cjs';
import { tempDir } from '../../support/temp-dir.js';

const ON = { OSS_CALLBACK_CONFIRM: 'true', OSS_CALLBACK_BUCKETS: 'photos', OSS_REGION: 'cn-hangzhou' };

describe('confirm mode configuration', () => {
  it('is off unless OSS_CALLBACK_CONFIRM is on, and then serves the buckets named', () => {
    expect(loadConfig({}).confirm).toBeNull();
    expect(loadConfig({ OSS_CALLBACK_CONFIRM: '' }).confirm).toBeNull();
    expect(loadConfig({ ...ON, OSS_CALLBACK_BUCKETS: ' photos , docs ' }).confirm).toEqual({ buckets: ['photos', 'docs'], location: { region: 'cn-hangzhou', endpoint: null } });
  });

  it.each([
    [{ ...ON, OSS_CALLBACK_BUCKETS: '' }, 'OSS_CALLBACK_CONFIRM needs OSS_CALLBACK_BUCKETS: the buckets this receiver serves, comma-separated'],
    [{ ...ON, OSS_CALLBACK_BUCKETS: 'photos,Bad_Name' }, 'OSS_CALLBACK_BUCKETS must list bucket names (3-63 of a-z, 0-9 and -), got "Bad_Name"'],
    [{ ...ON, OSS_REGION: '' }, 'OSS_REGION is required'],
    [{ ...ON, OSS_CALLBACK_BUCKETS: 'photos,docs', OSS_ENDPOINT: 'https://files.example.com' }, "OSS_ENDPOINT is one bucket's own address, and OSS_CALLBACK_BUCKETS names several"],
    [{ ...ON, OSS_CALLBACK_CONFIRM: 'sometimes' }, 'OSS_CALLBACK_CONFIRM must be true or false'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  describe('building a receiver', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('refuses to start without read-only credentials, and starts with the invocation’s (Function Compute’s role)', async () => {
      for (const name of ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET']) vi.stubEnv(name, '');
      const config = loadConfig({ ...ON, LOG_LEVEL: 'silent' });
      await expect(buildReceiver(config, { stores: {}, store: new MemoryStore() })).rejects.toThrow(/^OSS_CALLBACK_CONFIRM needs read-only OSS credentials: set OSS_ACCESS_KEY_ID/);
      const built = await buildReceiver(config, { stores: {}, store: new MemoryStore(), aliyunCredentials: () => ({ accessKeyId: 'STS.id', accessKeySecret: 's', securityToken: 't' }) });
      expect(built.receiver).toBeDefined();
    });
  });
});

const FIELDS: CallbackFields = { bucket: 'photos', object: 'a.jpg', etag: 'D41D8CD98F00B204E9800998ECF8427E', size: 0, mimeType: null, crc64: null, contentMd5: null, operation: null, reqId: null, clientIp: null, vpcId: null, image: null, vars: {} };

function failingOss(error: unknown): OssClient {
  return { location: { region: 'cn-hangzhou', endpoint: null }, close: () => undefined, send: () => Promise.reject(error) };
}

describe('confirm mode when OSS cannot say', () => {
  const confirm = (error: unknown) => {
    const budget = createBudget(Date.now() + 1000);
    return confirmUploads(['photos'], failingOss(error))(FIELDS, { budget, store: new MemoryStore() }).finally(() => budget.dispose());
  };

  it('answers 503 ConfirmUnavailable when OSS is unreachable or fails, naming no credential', async () => {
    await expect(confirm(new OssUnreachable('could not reach OSS at photos.oss-cn-hangzhou.aliyuncs.com: ECONNREFUSED'))).rejects.toMatchObject({
      code: 'ConfirmUnavailable',
      status: 503,
      message: 'could not confirm the upload with HeadObject: OSS did not answer',
    });
    await expect(confirm(new OssRefusal(503, 'ServiceUnavailable', 'Please reduce your request rate.', 'R1'))).rejects.toMatchObject({
      code: 'ConfirmUnavailable',
      message: 'could not confirm the upload with HeadObject: OSS answered 503 ServiceUnavailable',
    });
  });

  it('answers 500 Misconfigured when OSS refuses the receiver’s own credentials', async () => {
    await expect(confirm(new OssRefusal(403, 'AccessDenied', 'You have no right to access this object.', 'R2'))).rejects.toMatchObject({
      code: 'Misconfigured',
      status: 500,
      message: "OSS refused the receiver's HeadObject (AccessDenied): confirm mode needs credentials allowed oss:GetObject on the bucket",
    });
  });

  it('gives the deadline’s refusal when the budget runs out first', async () => {
    const budget = createBudget(Date.now() + 20);
    const hanging: OssClient = { ...failingOss(undefined), send: ({ signal }) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))) };
    await expect(confirmUploads(['photos'], hanging)(FIELDS, { budget, store: new MemoryStore() })).rejects.toMatchObject({ code: 'DeadlineExceeded', status: 503 });
    budget.dispose();
  });
});

describe('the receiver without confirm mode', () => {
  const dir = tempDir('oss-confirm-bundle-');

  it('does not load the OSS reader: it is reached only through a dynamic import', async () => {
    await build({ ...esbuildOptions.functionBuildOptions, entryPoints: [resolve('lib/build-receiver.ts')], outdir: dir, logLevel: 'silent' });
    const loaded = new Set<string>();
    const load = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(file, 'utf8');
      // Static imports only: `import{a as b}from"./chunks/x.js"` or `import"./chunks/x.js"`, never `import("…")`.
      for (const [, specifier] of code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'](\.[^"']+)["']/g)) load(join(dirname(file), specifier!));
    };
    load(join(dir, 'build-receiver.js'));
    const loadedCode = [...loaded].map((file) => readFileSync(file, 'utf8')).join('\n');
    const bundle = readdirSync(join(dir, 'chunks')).map((file) => readFileSync(join(dir, 'chunks', file), 'utf8')).join('\n');
    // x-oss-content-sha256 is what the reader's V4 signature adds to every request.
    expect(bundle).toContain('x-oss-content-sha256');
    expect(loadedCode).not.toContain('x-oss-content-sha256');
  });
});

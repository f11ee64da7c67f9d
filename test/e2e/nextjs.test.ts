import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { shellEnv, startServer } from '../support/child-server.js';
import { signRequest, testKey } from '../support/keys.js';
import { installPacked } from '../support/packed-package.js';
import { runtime } from '../support/runtimes.js';

/**
 * The README's Next.js route in a new Next.js app, as a user following the README makes it: the
 * package installed from its packed tarball (no store package, no next.config), built with
 * `next build` on Turbopack and with `--webpack`, served by `next start`, and sent signed callbacks.
 * Next itself comes from test/next-app (its own lockfile, installed by npm test's pretest step); the
 * app lives inside that folder so it resolves it as an app's own node_modules would.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const NEXT_APP = join(ROOT, 'test/next-app');
const NEXT = join(NEXT_APP, 'node_modules/next/dist/bin/next');

/** The code blocks of the README's "### Next.js" section that start with the file they go in. */
function readmeRouteFiles(): { path: string; code: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Next.js\n'), readme.indexOf('\n### ', readme.indexOf('\n### Next.js\n') + 1));
  return [...section.matchAll(/```ts\n\/\/ (\S+)\n([\s\S]*?)```/g)].map(([, path, code]) => ({ path: path!, code: code! }));
}

/** The same receiver as an App Router route handler: what the README says not to use, and why. */
const APP_ROUTER_ROUTE = `import { createReceiver } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const POST = fetchHandler(createReceiver());
`;

mkdirSync(join(NEXT_APP, '.apps'), { recursive: true });
const app = mkdtempSync(join(NEXT_APP, '.apps/app-'));
afterAll(() => rmSync(app, { recursive: true, force: true }));
const keysFile = join(app, 'trusted-keys.json');
const env = shellEnv({ NEXT_TELEMETRY_DISABLED: '1' });

beforeAll(async () => {
  // A missing Next.js is a failed install, not a reason to skip.
  if (!existsSync(NEXT)) throw new Error(`Next.js is not installed at ${NEXT}: run npm test (its pretest step installs test/next-app), or npm ci --prefix test/next-app`);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'next-app', private: true }));
  for (const { path, code } of readmeRouteFiles()) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), code);
  }
  mkdirSync(join(app, 'app/app-router/oss/callback'), { recursive: true });
  writeFileSync(join(app, 'app/app-router/oss/callback/route.ts'), APP_ROUTER_ROUTE);
  writeFileSync(keysFile, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));
  await installPacked(app);
}, 600_000);

/** `next start` on Node 22, whose node:sqlite is the default store's driver: nothing native installed. */
const nextStart = () =>
  startServer(runtime('node22'), [NEXT, 'start', '--port', '0'], {
    cwd: app,
    env: { ...env, OSS_CALLBACK_TRUSTED_KEYS: keysFile, LOG_LEVEL: 'silent' },
    port: /http:\/\/localhost:(\d+)/,
    timeoutMs: 60_000,
  });

const callback = (url: string, rawPath: string, object: string) => sendRequest(url, signRequest({ rawPath, body: `bucket=photos&object=${object}&etag=E-${object}` }));

describe.each([
  ['Turbopack', []],
  ['webpack', ['--webpack']],
])('the README Next.js route, built with %s', (_bundler, flags) => {
  let built: { stdout: string; stderr: string };

  beforeAll(async () => {
    rmSync(join(app, '.next'), { recursive: true, force: true });
    rmSync(join(app, 'data'), { recursive: true, force: true });
    built = await run(process.execPath, [NEXT, 'build', ...flags], { cwd: app, env, timeout: 480_000 });
  }, 500_000);

  it('builds with no store package installed and no next.config, opening no store and no file', () => {
    expect(existsSync(join(app, 'next.config.js')) || existsSync(join(app, 'next.config.ts'))).toBe(false);
    expect(`${built.stdout}${built.stderr}`).not.toMatch(/Module not found|Can't resolve|startup failed/);
    expect(built.stdout).toMatch(/\/api\/oss\/callback/);
    expect(existsSync(join(app, 'data'))).toBe(false);
  });

  it('next start answers a signed callback 200 with Content-Length, recorded in the default SQLite store', async () => {
    const server = await nextStart();
    try {
      const answer = await callback(server.url, '/api/oss/callback', 'cat.jpg');
      const tampered = await sendRequest(server.url, { ...signRequest({ rawPath: '/api/oss/callback', body: 'bucket=photos&object=x' }), body: Buffer.from('bucket=photo5&object=x') });

      expect({ status: answer.status, json: JSON.parse(answer.body.toString('utf8')) }).toMatchObject({ status: 200, json: { Status: 'OK', record: { object: 'cat.jpg' } } });
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(tampered.status).toBe(401);
      expect(existsSync(join(app, 'data/uploads.db'))).toBe(true);
    } finally {
      await server.stop();
    }
  }, 90_000);

  it('an App Router route handler records the callback too, but Next streams its answer without the Content-Length OSS requires', async () => {
    const server = await nextStart();
    try {
      const answer = await callback(server.url, '/app-router/oss/callback', 'dog.jpg');

      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.headers['transfer-encoding']).toBe('chunked');
    } finally {
      await server.stop();
    }
  }, 90_000);
});

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendRequest } from '../../cli/send-request.js';
import { bundleFunction } from '../../scripts/functions-bundle.js';
import { shellEnv, startServer } from '../support/child-server.js';
import { signRequest, testKey } from '../support/keys.js';
import { installPacked } from '../support/packed-package.js';
import { runtime, type RuntimeName } from '../support/runtimes.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The library on the runtimes beside the suite's Node 20, from the packed tarball in a new app with
 * nothing else installed, as the README's "Inside your app" shows it: `createReceiver()` with no
 * options (the default store, SQLite in ./data/uploads.db, on the runtime's own driver) behind the
 * Fetch door on Bun (Bun.serve) and Deno (Deno.serve, with the permissions the README names), and
 * behind the node door on Node 22 and 24. Each records a signed callback and still has it after a
 * restart. Then the function bundles on Node 22, Lambda's runtime.
 */
const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const dir = tempDir('runtimes-');
const keysFile = join(dir, 'trusted-keys.json');

/** The app each runtime runs: the receiver awaited at start (so it says how many records it found), then served. */
const APPS = {
  node: `import { createServer } from 'node:http';
import { createReceiver } from 'oss-upload-callback';
import { nodeHandler } from 'oss-upload-callback/node';

const receiver = await createReceiver();
console.log('records', (await receiver.store.list({})).length);
const server = createServer(nodeHandler(receiver)).listen(0, '127.0.0.1', () => console.log('listening on', server.address().port));
`,
  bun: `import { createReceiver } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';

const receiver = await createReceiver();
console.log('records', (await receiver.store.list({})).length);
const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: fetchHandler(receiver) });
console.log('listening on', server.port);
`,
  deno: `import { createReceiver } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';

const receiver = await createReceiver();
console.log('records', (await receiver.store.list({})).length);
Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log('listening on', port) }, fetchHandler(receiver));
`,
};

/** How each runtime starts its app: Deno with exactly the permissions the README names, no more. */
const COMMANDS: Record<RuntimeName, { app: keyof typeof APPS; args: string[] }> = {
  node22: { app: 'node', args: ['app.mjs'] },
  node24: { app: 'node', args: ['app.mjs'] },
  bun: { app: 'bun', args: ['app.mjs'] },
  deno: { app: 'deno', args: ['run', '--no-prompt', '--allow-env', `--allow-read=data,${keysFile}`, '--allow-write=data', '--allow-net=127.0.0.1', 'app.mjs'] },
};

beforeAll(async () => {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(keysFile, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));
  await installPacked(dir);
}, 600_000);

const BODY = 'bucket=photos&object=users%2F42%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=48213';
const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as { Status: string; code?: string; message?: string; record?: { id: string; object: string } };

describe.each(Object.keys(COMMANDS) as RuntimeName[])('createReceiver() with no options on %s, from the packed package', (name) => {
  const { app, args } = COMMANDS[name];
  // Each runtime in a folder of its own (its own ./data), under the app's node_modules.
  const cwd = join(dir, name);
  const start = () => startServer(runtime(name), args, { cwd, env: shellEnv({ OSS_CALLBACK_TRUSTED_KEYS: keysFile, LOG_LEVEL: 'silent' }), port: /listening on (\d+)/, timeoutMs: 30_000 });

  beforeAll(() => {
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'app.mjs'), APPS[app]);
  });

  it('records a signed callback in ./data/uploads.db, refuses a tampered one, and keeps the record across a restart', async () => {
    const first = await start();
    let recorded: { id: string; object: string };
    try {
      expect(first.output()).toMatch(/^records 0$/m);
      const answer = await sendRequest(first.url, signRequest({ rawPath: '/oss/callback', body: BODY }));
      const tampered = await sendRequest(first.url, { ...signRequest({ rawPath: '/oss/callback', body: BODY }), body: Buffer.from(BODY.replace('photos', 'photo5')) });

      expect({ status: answer.status, json: json(answer.body) }, first.output()).toMatchObject({ status: 200, json: { Status: 'OK', record: { object: 'users/42/cat.jpg' } } });
      expect(answer.headers['content-length']).toBe(String(answer.body.length));
      // The body was changed, not the URL: no door, the Fetch one included, blames the URL parser.
      expect({ status: tampered.status, ...json(tampered.body) }).toEqual({ status: 401, Status: 'Error', code: 'SignatureMismatch', message: 'the signature does not match the path, query and body received' });
      recorded = json(answer.body).record!;
    } finally {
      await first.stop();
    }
    expect(existsSync(join(cwd, 'data/uploads.db'))).toBe(true);

    const second = await start();
    try {
      expect(second.output()).toMatch(/^records 1$/m);
      const again = await sendRequest(second.url, signRequest({ rawPath: '/oss/callback', body: BODY }));
      expect({ status: again.status, record: json(again.body).record }).toEqual({ status: 200, record: recorded });
    } finally {
      await second.stop();
    }
  }, 90_000);
});

it('ran with nothing native installed: no better-sqlite3, no store SDK', () => {
  expect(readdirSync(join(dir, 'node_modules')).filter((name) => ['better-sqlite3', 'bindings', 'tablestore'].includes(name))).toEqual([]);
});

describe('the function bundles on Node 22 (Lambda nodejs22.x)', () => {
  const bundles = join(dir, 'bundles');
  const invoke = async (name: string, exported: string, eventFile: string) => {
    const { entry } = await bundleFunction(name, bundles);
    const driver = join(bundles, `${name}-invoke.mjs`);
    writeFileSync(
      driver,
      `import { readFileSync } from 'node:fs';
const handler = (await import(${JSON.stringify(pathToFileURL(entry).href)}))[${JSON.stringify(exported)}];
const event = readFileSync(${JSON.stringify(join(ROOT, eventFile))});
const context = { awsRequestId: 'req-1', requestId: 'req-1', getRemainingTimeInMillis: () => 10_000 };
const answer = await handler(${exported === 'fc3' ? 'event' : "JSON.parse(event.toString('utf8'))"}, context);
console.log(JSON.stringify(answer));
`,
    );
    const env = shellEnv({ OSS_CALLBACK_TRUSTED_KEYS: join(ROOT, 'test/dev-key/trusted-keys.json'), UPLOAD_STORE: 'memory:', LOG_LEVEL: 'silent' });
    const { stdout } = await run(runtime('node22'), [driver], { env, timeout: 30_000 });
    const answer = JSON.parse(stdout.trim().split('\n').at(-1)!) as { statusCode: number; body: string; isBase64Encoded?: boolean };
    return { statusCode: answer.statusCode, body: JSON.parse(answer.isBase64Encoded ? Buffer.from(answer.body, 'base64').toString('utf8') : answer.body) };
  };

  it('the Lambda callback bundle answers a sample function URL event 200 with the record', async () => {
    expect(await invoke('callback-lambda', 'lambda', 'events/lambda-url/put-object-form.json')).toMatchObject({ statusCode: 200, body: { Status: 'OK', record: { source: 'callback' } } });
  }, 60_000);

  it('the Function Compute callback bundle answers a sample FC 3.0 event 200 with the record', async () => {
    expect(await invoke('callback-fc', 'fc3', 'events/fc3/put-object-json.json')).toMatchObject({ statusCode: 200, body: { Status: 'OK', record: { source: 'callback' } } });
  }, 60_000);
});


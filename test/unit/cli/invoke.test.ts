import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, contractProbes } from '../../../cli/remote-check.js';
import { loadConfig } from '../../../lib/config.js';
import { silentLogger } from '../../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../../lib/platforms/node-http.js';
import { fc3Handler } from '../../../lib/platforms/fc3.js';
import { loadTrustedKeysFile, pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver } from '../../../lib/protocol/verify.js';
import { createPipeline } from '../../../lib/receiver.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import { runCli } from '../../support/cli-io.js';
import { startFcApiServer, type FcApiServer } from '../../support/fc-api-server.js';
import { signRequest } from '../../support/keys.js';
import { tempDir } from '../../support/temp-dir.js';

/** The committed development key's trusted-keys file: what the dev stage trusts. */
const DEV_TRUSTED_KEYS = 'test/dev-key/trusted-keys.json';

/** The signed probe's record id, read from the report. */
const reqIdIn = (stdout: string) => /record of this upload \(reqId ([0-9A-F]{24})\)/.exec(stdout)?.[1];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('oss-callback invoke --remote <function URL>', () => {
  let receiver: LocalServer;
  beforeAll(async () => {
    const config = loadConfig({ UPLOAD_STORE: 'memory:', OSS_CALLBACK_TRUSTED_KEYS: DEV_TRUSTED_KEYS, LOG_LEVEL: 'silent' });
    receiver = await startLocalServer({ config, port: 0, logger: silentLogger });
  });
  afterAll(() => receiver.close());

  it('sends a signed callback, an unsigned one and GET /healthz, and reports each holding to the contract', async () => {
    // Act
    const run = await runCli(['invoke', '--remote', `${receiver.url}/oss/callback`]);

    // Assess
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(`checking ${receiver.url}/oss/callback (signed with the key at https://oss-callback.dev.invalid/dev-key.pem)`);
    expect(lines.filter((line) => !line.startsWith('  '))).toEqual([
      lines[0],
      'signed callback: POST /oss/callback',
      'unsigned callback: POST /oss/callback without authorization',
      'health: GET /healthz',
      'all 3 answers hold to the contract',
      '',
    ]);
    expect(lines.filter((line) => line.startsWith('  '))).toEqual([
      '  ok    status 200',
      expect.stringMatching(/^ {2}ok {4}JSON \{"Status":"OK"\} with the record of this upload \(reqId [0-9A-F]{24}\)$/),
      expect.stringMatching(/^ {2}ok {4}Content-Length \d+, the length of the body$/),
      expect.stringMatching(/^ {2}ok {4}answered in \d+ ms, within the 5000 ms OSS waits$/),
      '  ok    status 401',
      '  ok    JSON {"Status":"Error","code":"MissingSignature"}',
      '  ok    Content-Length 96, the length of the body',
      expect.stringMatching(/^ {2}ok {4}answered in \d+ ms/),
      '  ok    status 200',
      '  ok    JSON {"Status":"OK"}',
      '  ok    Content-Length 15, the length of the body',
      expect.stringMatching(/^ {2}ok {4}answered in \d+ ms/),
    ]);
    const [record] = await receiver.store.list({ bucket: 'oss-callback-check', limit: 1 });
    expect(record).toMatchObject({ reqId: reqIdIn(run.stdout), operation: 'PutObject', object: expect.stringMatching(/^oss-callback-check\//) });
  });

  it('fails, naming the refusal, when the stage does not trust the key; a key of its own is named by its keygen URL', async () => {
    // Prepare
    const out = tempDir();
    await runCli(['keygen', '--out', out, '--bits', '1024']);
    const [keyUrl] = loadTrustedKeysFile(join(out, 'trusted-keys.json')).keys();

    // Act
    const run = await runCli(['invoke', '--remote', `${receiver.url}/oss/callback`, '--key', join(out, 'private.pem')]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`  FAIL  status 403: UntrustedKeyUrl: the public key URL "${keyUrl}" is not trusted`);
    expect(run.stdout).toContain('  FAIL  expected JSON {"Status":"OK"} with the record of this upload');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('1 of 3 answers fail the contract');
  });

  it('fails an answer that is not JSON and has no Content-Length, and a receiver that does not answer', async () => {
    // Prepare: a server that answers every request 200 with chunked text.
    const plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('OK');
      res.end();
    });
    const url = await listen(plain);
    const closed = createServer();
    const closedUrl = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));

    // Act
    const run = await runCli(['invoke', '--remote', `${url}/cb`]);
    const unreachable = await runCli(['invoke', '--remote', `${closedUrl}/cb`]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  FAIL  not a JSON answer (content-type text/plain): "OK"');
    expect(run.stdout).toContain('  FAIL  no Content-Length');
    expect(run.stdout).toContain('  FAIL  status 200 (expected 401)');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toContain(`  FAIL  no answer: cannot send to ${closedUrl}/cb: connect ECONNREFUSED`);
    await new Promise((resolve) => plain.close(resolve));
  });

  it.each([
    { argv: ['invoke'], message: '--remote is required' },
    { argv: ['invoke', '--remote', 'ftp://example.test/cb'], message: '--remote takes an http(s) URL or fc:<region>/<service>/<function>' },
    { argv: ['invoke', '--remote', 'fc:cn-hangzhou/svc/fn'], message: '--account-id is required' },
    { argv: ['invoke', '--remote', 'fc:cn-hangzhou/svc/fn', '--account-id', '1'], message: 'fc: targets are invoked with ALIBABA_CLOUD_ACCESS_KEY_ID' },
  ])('refuses $argv with one line', async ({ argv, message }) => {
    // Act
    const run = await runCli(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^oss-callback invoke: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*\nsee \`oss-callback invoke --help\`\n$`));
  });
});

describe('oss-callback invoke --remote fc:<region>/<service>/<function> (the FC API through @alicloud/fc2)', () => {
  const accountId = '1234567890123456';
  const deployer = { accessKeyId: 'LTAI5tExampleDeployer', accessKeySecret: 'deployer-secret' };
  const sts = { accessKeyId: 'STS.NUexampleToken', accessKeySecret: 'sts-secret', securityToken: 'CAIS-example-token' };
  const store = new MemoryStore();
  let fcApi: FcApiServer;

  beforeAll(async () => {
    const keys = new KeyResolver(pinnedKeys(loadTrustedKeysFile(DEV_TRUSTED_KEYS)));
    const receiver = createPipeline({ limits: { deadlineMs: 4000, maxBodyBytes: 65_536 }, store, keys, logger: silentLogger });
    const callback = fc3Handler(async () => receiver);
    fcApi = await startFcApiServer({
      accountId,
      credentials: [deployer, sts],
      functions: {
        'oss-callback/callback': (event) => callback(event, { requestId: 'fc-api-test' }),
        'oss-callback/broken': async () => {
          throw new Error('Cannot find module callback');
        },
      },
    });
  });
  afterAll(() => fcApi.close());

  const invoke = (fn: string, env: NodeJS.ProcessEnv, ...extra: string[]) =>
    runCli(['invoke', '--remote', `fc:cn-hangzhou/oss-callback/${fn}`, '--account-id', accountId, '--fc-endpoint', fcApi.endpoint, ...extra], { env });
  const envOf = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): NodeJS.ProcessEnv => ({
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ...(credentials.securityToken ? { ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken } : {}),
  });

  it('invokes the FC 3.0 handler with each request as its HTTP trigger event, signed with the AccessKey, and checks the answers', async () => {
    // Act
    const run = await invoke('callback', envOf(deployer), '--qualifier', 'prod');

    // Assess
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('all 3 answers hold to the contract');
    expect(run.stdout).toContain('signed callback: POST /oss/callback');
    expect(fcApi.invocations.slice(-3)).toEqual(Array(3).fill({ service: 'oss-callback', function: 'callback', qualifier: 'prod', accessKeyId: deployer.accessKeyId }));
    expect((await store.get(`req:${reqIdIn(run.stdout)!}`))?.record.source).toBe('callback');
  });

  it('signs with STS credentials and their token', async () => {
    // Act
    const run = await invoke('callback', envOf(sts), '--path', '/uploads/done');

    // Assess
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('signed callback: POST /uploads/done');
    expect(fcApi.invocations.at(-1)).toMatchObject({ accessKeyId: sts.accessKeyId, qualifier: undefined });
  });

  it('reports every request unanswered when the API refuses the signature, and invokes nothing', async () => {
    // Prepare
    const before = fcApi.invocations.length;

    // Act
    const run = await invoke('callback', envOf({ ...deployer, accessKeySecret: 'not-the-secret' }));

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout.match(/ {2}FAIL {2}no answer: .*failed with 403\..*the request signature does not match/g)).toHaveLength(3);
    expect(fcApi.invocations.length).toBe(before);
  });

  it('reports a function that fails as FC reports it', async () => {
    // Act
    const run = await invoke('broken', envOf(deployer));

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  FAIL  no answer: the function failed (UnhandledInvocationError): Cannot find module callback');
  });
});

describe('contract checks', () => {
  it('fails an answer slower than the 5 s OSS waits, and a Content-Length that is not the body\'s', () => {
    // Prepare
    const [health] = contractProbes(signRequest(), 'R1').slice(-1);
    const body = Buffer.from('{"Status":"OK"}');

    // Act
    const checks = checkAnswer(health!, { status: 200, headers: { 'content-type': 'application/json', 'content-length': '99' }, body }, 5001);

    // Assess
    expect(checks).toEqual([
      { ok: true, text: 'status 200' },
      { ok: true, text: 'JSON {"Status":"OK"}' },
      { ok: false, text: 'Content-Length 99, but the body has 15 bytes' },
      { ok: false, text: 'answered in 5001 ms, not within the 5000 ms OSS waits' },
    ]);
  });
});

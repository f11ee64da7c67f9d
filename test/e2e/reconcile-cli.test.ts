import OSS from 'ali-oss';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { silentLogger } from '../../lib/logger.js';
import { startLocalServer, type LocalServer } from '../../lib/platforms/node-http.js';
import { callbackBodyTemplate } from '../../lib/protocol/templates.js';
import type { ReconcileSummary } from '../../lib/reconcile/reconcile.js';
import { openSqliteStore } from '../../lib/store/sqlite.js';
import type { UploadRecord } from '../../lib/store/record.js';
import { startSimulator, type Simulator } from '../../sim/simulator.js';
import { runCli } from '../support/cli-io.js';
import { tempDir } from '../support/temp-dir.js';

/**
 * The issue as a new user met it, then fixed: the unmodified ali-oss client uploads to the simulator
 * while the receiver is down (203 CallbackFailed, objects in the bucket, no records), and
 * `oss-callback reconcile` records exactly those, leaves the callbacks' records alone, adds nothing
 * when run again or several times at once; and its refusals, which write nothing.
 */
const BUCKET = 'flow-bucket';
const PAIR = { accessKeyId: 'LTAI-cli', accessKeySecret: 'cli-secret' };
const CREDENTIALS_ENV = { OSS_ACCESS_KEY_ID: PAIR.accessKeyId, OSS_ACCESS_KEY_SECRET: PAIR.accessKeySecret };
const run = promisify(execFile);

const dir = tempDir('oss-reconcile-cli-');
const db = join(dir, 'uploads.db');
let sim: Simulator;
let receiver: LocalServer;
let client: OSS;
const called: UploadRecord[] = [];
const missed: string[] = [];

beforeAll(async () => {
  const trustedKeys = join(dir, 'trusted-keys.json');
  sim = await startSimulator({ dataDir: join(dir, 'oss'), bucket: BUCKET, credentials: PAIR, trustedKeysOut: trustedKeys, callbackTimeoutMs: 1000 });
  receiver = await startLocalServer({ config: loadConfig({ UPLOAD_STORE: `sqlite:${db}`, OSS_CALLBACK_TRUSTED_KEYS: trustedKeys, LOG_LEVEL: 'silent' }), port: 0, logger: silentLogger });
  client = new OSS({ endpoint: sim.url, cname: true, bucket: BUCKET, ...PAIR });
  const callback = (url: string) => ({ callback: { url, body: callbackBodyTemplate('form', ['uid']), customValue: { uid: '42' } } });

  for (let i = 0; i < 3; i++) {
    const result = await client.put(`uploads/called-${i}.txt`, Buffer.from(`called ${i}`), callback(`${receiver.url}/oss/callback`));
    called.push((result.data as { record: UploadRecord }).record);
  }
  // The receiver is down: nothing listens where the callback goes.
  const down = `http://127.0.0.1:${await closedPort()}/oss/callback`;
  for (let i = 0; i < 12; i++) {
    const key = `uploads/missed-${String(i).padStart(2, '0')}.txt`;
    const error = await client.put(key, Buffer.from(`missed ${i}`), callback(down)).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 203, code: 'CallbackFailed' });
    missed.push(key);
  }
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await sim?.close();
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// No grace: the uploads are seconds old.
const reconcileArgs = (store: string, ...extra: string[]) => ['reconcile', '--bucket', BUCKET, '--endpoint', sim.url, '--region', 'cn-hangzhou', '--grace', '0s', '--store', store, ...extra];

async function records(path = db): Promise<UploadRecord[]> {
  const store = openSqliteStore(path);
  try {
    return await store.list({ bucket: BUCKET });
  } finally {
    await store.close();
  }
}

describe('oss-callback reconcile after the receiver was down', () => {
  it('starts from 12 uploads answered 203 and 0 records of them', async () => {
    expect((await records()).map((record) => record.object).sort()).toEqual(called.map((record) => record.object).sort());
  });

  it('with --dry-run says it would record the 12 and writes nothing', async () => {
    const result = await runCli(reconcileArgs(`sqlite:${db}`, '--dry-run'), { env: CREDENTIALS_ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^dry run, nothing written: bucket flow-bucket, last modified \S+ to \S+\n/);
    expect(result.stdout).toMatch(/^listed\s+15$/m);
    expect(result.stdout).toMatch(/^already recorded\s+3$/m);
    expect(result.stdout).toMatch(/^would record\s+12$/m);
    expect(await records()).toHaveLength(3);
  });

  it('records exactly those 12, from the listing and HeadObject, and leaves the callbacks’ records as they were', async () => {
    const result = await runCli(reconcileArgs(`sqlite:${db}`, '--json'), { env: CREDENTIALS_ENV });
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as ReconcileSummary;
    expect(summary).toMatchObject({ bucket: BUCKET, prefix: '', dryRun: false, listed: 15, alreadyRecorded: 3, recorded: 12, gone: 0, failed: 0, failures: [] });
    const stored = await records();
    expect(stored.filter((record) => record.source === 'reconcile').map((record) => record.object).sort()).toEqual(missed);
    for (const record of called) expect(stored).toContainEqual(record);
    expect(stored.find((record) => record.object === missed[0])).toMatchObject({ size: 'missed 0'.length, mimeType: 'text/plain', vars: {}, reqId: null });
  });

  it('adds nothing the second time, and answers in words without --json', async () => {
    const result = await runCli(reconcileArgs(`sqlite:${db}`, '--prefix', 'uploads/missed-'), { env: CREDENTIALS_ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^bucket flow-bucket, keys under uploads\/missed-, last modified/);
    expect(result.stdout).toMatch(/^listed\s+12\nalready recorded\s+12\nrecorded now\s+0\ngone\s+0\nfailed\s+0\n/m);
    expect(result.stdout).toMatch(/^callback coverage 0\.0% \(0 of 12 uploads; recovered: 0 by event, 12 by reconcile\)$/m);
    expect(await records()).toHaveLength(15);
  });

  it('shows its progress on stderr when stderr is a terminal, and not otherwise', async () => {
    const onTerminal = await runCli(reconcileArgs('memory:', '--dry-run'), { env: CREDENTIALS_ENV, stderrIsTTY: true });
    expect(onTerminal.stderr).toMatch(/^\r\x1b\[Klisted \d+, already recorded 0, recorded \d+, gone 0, failed 0, \d+ objects\/s(\r\x1b\[K.*)*\r\x1b\[Klisted 15, already recorded 0, recorded 15, gone 0, failed 0, \d+ objects\/s\n$/);
    const json = await runCli(reconcileArgs('memory:', '--dry-run', '--json'), { env: CREDENTIALS_ENV, stderrIsTTY: true });
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ listed: 15, complete: true });
    expect((await runCli(reconcileArgs('memory:', '--dry-run'), { env: CREDENTIALS_ENV })).stderr).toBe('');
  });

  it('leaves out what was modified within --grace, and before --since', async () => {
    const withinGrace = JSON.parse((await runCli([...reconcileArgs('memory:', '--json'), '--grace', '1h', '--since', '2h'], { env: CREDENTIALS_ENV })).stdout) as ReconcileSummary;
    expect(withinGrace.listed).toBe(0);
    const sinceAMinute = JSON.parse((await runCli([...reconcileArgs('memory:', '--json'), '--since', '1m'], { env: CREDENTIALS_ENV })).stdout) as ReconcileSummary;
    expect(sinceAMinute.listed).toBe(15);
  });

  it('writes one record per upload when three processes reconcile one SQLite file at once', async () => {
    const shared = join(dir, 'shared.db');
    // The table exists, as it does wherever a receiver runs (opening a fresh file is not raced here).
    expect((await runCli(['store', 'init', '--store', `sqlite:${shared}`])).code).toBe(0);
    const cli = join(process.cwd(), 'cli/bin.ts');
    const runs = await Promise.all(
      [1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', cli, ...reconcileArgs(`sqlite:${shared}`, '--json')], { env: { ...process.env, ...CREDENTIALS_ENV } })),
    );
    const summaries = runs.map(({ stdout }) => JSON.parse(stdout) as ReconcileSummary);
    expect(summaries.reduce((sum, summary) => sum + summary.recorded, 0)).toBe(15);
    for (const summary of summaries) expect(summary).toMatchObject({ listed: 15, failed: 0 });
    const stored = await records(shared);
    expect(stored).toHaveLength(15);
    expect(new Set(stored.map((record) => record.object)).size).toBe(15);
  }, 60_000);
});

describe('oss-callback reconcile refusing, with nothing written', () => {
  it('bad credentials: OSS refuses the signature', async () => {
    const path = join(dir, 'bad-credentials.db');
    const result = await runCli(reconcileArgs(`sqlite:${path}`), { env: { ...CREDENTIALS_ENV, OSS_ACCESS_KEY_SECRET: 'not-the-secret' } });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^oss-callback reconcile: OSS refused the credentials \(SignatureDoesNotMatch\): check them; set OSS_ACCESS_KEY_ID/);
    expect(result.stderr).not.toContain('not-the-secret');
    expect(await records(path)).toEqual([]);
  });

  it('no credentials at all', async () => {
    const result = await runCli(reconcileArgs('memory:'), { env: {} });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toContain('no OSS credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET');
  });

  it.each([
    [403, 'AccessDenied', 'You have no right to access this bucket.', /the credentials may not list bucket flow-bucket \(AccessDenied\): they need oss:ListObjects on it/],
    [404, 'NoSuchBucket', 'The specified bucket does not exist.', /bucket flow-bucket does not exist in this region or at this endpoint \(NoSuchBucket\)/],
  ])('a bucket it cannot list: OSS answers %i %s', async (status, code, message, expected) => {
    const oss = await fakeOss(status, code, message);
    try {
      const path = join(dir, `unlistable-${status}.db`);
      const result = await runCli(['reconcile', '--bucket', BUCKET, '--endpoint', oss.url, '--region', 'cn-hangzhou', '--store', `sqlite:${path}`], { env: CREDENTIALS_ENV });
      expect(result).toMatchObject({ code: 1, stdout: '' });
      expect(result.stderr).toMatch(expected);
      expect(await records(path)).toEqual([]);
    } finally {
      oss.server.close();
    }
  });

  it('a store it cannot open', async () => {
    const notADirectory = join(dir, 'a-file');
    writeFileSync(notADirectory, 'x');
    const result = await runCli(reconcileArgs(`sqlite:${join(notADirectory, 'uploads.db')}`), { env: CREDENTIALS_ENV });
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toMatch(/^oss-callback reconcile: cannot open the store sqlite:\S+a-file\/uploads\.db: EEXIST/);
    const garbage = join(dir, 'not-a-database.db');
    writeFileSync(garbage, 'this is not SQLite, and is long enough to be read as a header of one'.repeat(10));
    const unreadable = await runCli(reconcileArgs(`sqlite:${garbage}`), { env: CREDENTIALS_ENV });
    expect(unreadable).toMatchObject({ code: 1, stdout: '' });
    expect(unreadable.stderr).toMatch(/^oss-callback reconcile: cannot open the store sqlite:\S+: file is not a database/);
  });

  it.each([
    [['--bucket', BUCKET, '--since', 'yesterday'], '--since: "yesterday" is not a duration such as 24h'],
    [['--bucket', BUCKET, '--since', '1m', '--grace', '2m'], '--grace must be shorter than --since'],
    [['--bucket', 'Not_A_Bucket'], '--bucket "Not_A_Bucket" is not a bucket name'],
    [['--bucket', BUCKET, '--endpoint', 'http://127.0.0.1:9'], '--region (or OSS_REGION) is required'],
    [['--prefix', 'x/'], '--bucket is required'],
  ])('usage errors: %j', async (argv, message) => {
    const result = await runCli(['reconcile', ...argv], { env: CREDENTIALS_ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

/** An OSS endpoint that answers every request with one error, as OSS words it. */
async function fakeOss(status: number, code: string, message: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n  <Message>${message}</Message>\n  <RequestId>5C3D9175B6FC201293AD****</RequestId>\n</Error>\n`;
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-oss-request-id': '5C3D9175B6FC201293AD****' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

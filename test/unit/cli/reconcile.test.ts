import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReconcileSummary } from '../../../lib/reconcile/reconcile.js';
import { terminalSafe, terminalSafeInLine, terminalSafeJson } from '../../../cli/terminal-safe.js';
import { runCli } from '../../support/cli-io.js';
import { listingXml, startFakeOss, type FakeObject, type FakeOss } from '../../support/fake-oss.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `oss-callback reconcile` against a fake bucket on loopback: a time limit that stops the run with
 * exit 3 and what is left, the next run going on from there, a wrong listing named with exit 1,
 * dated prefixes, and nothing a key or OSS says reaching the terminal unescaped.
 */
const ENV = { OSS_ACCESS_KEY_ID: 'LTAI-cli', OSS_ACCESS_KEY_SECRET: 'cli-secret' };
const dir = tempDir('oss-reconcile-cli-unit-');
let fake: FakeOss;
let serial = 0;

beforeAll(async () => {
  fake = await startFakeOss();
});
beforeEach(() => {
  fake.onList(undefined);
  fake.onHead(undefined);
});
afterAll(async () => fake.close());

function objects(count: number, name: string, keyOf = (n: number) => `${String(n).padStart(5, '0')}.jpg`): FakeObject[] {
  const prefix = `${name}-${++serial}/`;
  const made = Array.from({ length: count }, (_, n) => ({ key: `${prefix}${keyOf(n)}`, etag: (serial * 100_000 + n).toString(16).padStart(32, '0').toUpperCase(), size: n, lastModified: Date.now() - 60_000 }));
  fake.put(...made);
  return made;
}
const args = (prefix: string, store: string, ...extra: string[]) => ['reconcile', '--bucket', 'fake-bucket', '--endpoint', fake.url, '--region', 'cn-hangzhou', '--grace', '0s', '--prefix', prefix, '--store', store, ...extra];

describe('oss-callback reconcile --time-limit', () => {
  it('stops before the limit with exit 3, "complete": false and what is left; the next run with the same options goes on and ends with 0', async () => {
    const listed = objects(400, 'limit');
    const prefix = listed[0]!.key.split('/')[0]! + '/';
    const store = `sqlite:${join(dir, 'limit.db')}`;
    fake.onHead(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 40)));
    const cut = await runCli(args(prefix, store, '--time-limit', '1s', '--json'), { env: ENV });
    expect(cut.code, cut.stderr).toBe(3);
    const summary = JSON.parse(cut.stdout) as ReconcileSummary;
    expect(summary).toMatchObject({ complete: false, failed: 0, left: { folder: prefix, foldersAfter: 0 } });
    expect(summary.recorded).toBeLessThan(400);

    fake.onHead(undefined);
    const text = await runCli(args(prefix, store), { env: ENV });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^resumed: bucket fake-bucket, keys under limit-\d+\/, last modified /);
    expect(text.stdout).toContain(`last modified ${summary.from} to ${summary.to}`);
    expect(text.stdout).not.toContain('not complete');

    // The pass is over: the next run starts a new one over its own window.
    const again = JSON.parse((await runCli(args(prefix, store, '--json'), { env: ENV })).stdout) as ReconcileSummary;
    expect(again).toMatchObject({ resumed: false, complete: true, listed: 400, alreadyRecorded: 400 });
  });

  it('says in words where the next run goes on', async () => {
    const listed = objects(300, 'words');
    const prefix = listed[0]!.key.split('/')[0]! + '/';
    fake.onHead(() => new Promise((resolve) => setTimeout(() => resolve(undefined), 40)));
    const cut = await runCli(args(prefix, `sqlite:${join(dir, 'words.db')}`, '--time-limit', '1s'), { env: ENV });
    expect(cut.code).toBe(3);
    expect(cut.stdout).toMatch(new RegExp(`^not complete: the next run with the same options goes on in "${prefix}"( after "${prefix}\\d+\\.jpg")?$`, 'm'));
    const dry = await runCli(args(prefix, 'memory:', '--time-limit', '1s', '--dry-run'), { env: ENV });
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(/^not complete: stopped in .*; a dry run keeps no place, so the next run starts over$/m);
  });

  it.each([['0s', 'longer than 0s'], ['soon', 'is not a duration']])('refuses --time-limit %s', async (value, message) => {
    const result = await runCli(args('x/', 'memory:', '--time-limit', value), { env: ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('oss-callback reconcile --prefix', () => {
  it('takes a dated prefix and lists only the folders of the window', async () => {
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    fake.put({ key: `cli-dated/${day}/today.jpg`, etag: 'C'.repeat(32), size: 1, lastModified: Date.now() - 60_000 });
    const queries = fake.seen.queries.length;
    const result = await runCli(args('cli-dated/{yyyy}/{mm}/{dd}/', 'memory:', '--since', '1h', '--folder-lag', '0s', '--json'), { env: ENV });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ prefix: 'cli-dated/{yyyy}/{mm}/{dd}/', listed: 1, recorded: 1 });
    const listedPrefixes = new Set(fake.seen.queries.slice(queries).map((query) => new URLSearchParams(query).get('prefix')));
    expect(listedPrefixes.has(`cli-dated/${day}/`)).toBe(true);
    expect(listedPrefixes.size).toBeLessThanOrEqual(2);
  });

  it('refuses a template it cannot follow', async () => {
    const result = await runCli(args('p/{dd}/', 'memory:'), { env: ENV });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--prefix: the prefix "p/{dd}/" must give the date fields from {yyyy} down');
  });
});

describe('what reaches the terminal', () => {
  const hostile = 'evil-\x1b]0;pwned\x07-\x1b[2J-\r-\u009b31m-\u202e.jpg';

  it('prints keys and OSS’s words with every control character escaped, in text and JSON', async () => {
    const [object] = objects(1, 'hostile', () => hostile);
    const error = Buffer.from(`<Error><Code>InternalError</Code><Message>boom \x1b[31mred\x1b[0m \u009b2J</Message></Error>`).toString('base64');
    fake.onHead(() => ({ status: 500, headers: { 'x-oss-err': error } }));
    const prefix = object!.key.split('/')[0]! + '/';
    const text = await runCli(args(prefix, 'memory:'), { env: ENV });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('failed: "hostile-');
    expect(text.stdout).toContain('evil-\\u001b]0;pwned\\u0007-\\u001b[2J-\\r-\\u009b31m-\\u202e.jpg');
    expect(text.stdout).toContain('boom \\x1b[31mred\\x1b[0m \\x9b2J');
    for (const output of [text.stdout, text.stderr]) expect(output).not.toMatch(/[\x1b\x07\r\u009b\u202e]/);

    const json = await runCli(args(prefix, 'memory:', '--json'), { env: ENV });
    expect(json.stdout).not.toMatch(/[\x1b\x07\r\u009b\u202e]/);
    const summary = JSON.parse(json.stdout) as ReconcileSummary;
    expect(summary.failures[0]!.object).toBe(object!.key);
  });

  it('names a wrong listing on stderr, escaped, with exit 1', async () => {
    fake.onList((request) => ({ body: listingXml({ prefix: request.prefix, maxKeys: 1000, urlEncoded: true, truncated: false, objects: [] }).replace('<ListBucketResult>', '<ListBucketResult><Name>\x1b[31m</Name>') }));
    const result = await runCli(args('wrong/', 'memory:'), { env: ENV });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^oss-callback reconcile: the listing of bucket fake-bucket is wrong, so the run stopped there: OSS sent a listing that is not the XML OSS documents: the character U\+001B/);
    expect(result.stderr).not.toMatch(/\x1b/);
  });

  it('escapes what a terminal acts on and nothing else', () => {
    expect(terminalSafe('a\tb\nc\x1bd\x7fe\u0085f\u2066g ü✓')).toBe('a\tb\nc\\x1bd\\x7fe\\x85f\\u2066g ü✓');
    expect(terminalSafeInLine('a\tb\nc')).toBe('a\\x09b\\x0ac');
    const value = { key: 'x\u009by\u202e\x1b' };
    expect(JSON.parse(terminalSafeJson(value, 2))).toEqual(value);
    expect(terminalSafeJson(value)).toBe('{"key":"x\\u009by\\u202e\\u001b"}');
  });
});

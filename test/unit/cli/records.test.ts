import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { openSqliteStore } from '../../../lib/store/sqlite.js';
import { tempDir } from '../../support/temp-dir.js';
import { uploadRecord } from '../../support/upload-records.js';

const dir = tempDir('oss-callback-records-');
const path = join(dir, 'uploads.db');

async function cli(argv: string[], env: NodeJS.ProcessEnv = { UPLOAD_STORE: `sqlite:${path}` }) {
  let stdout = '';
  let stderr = '';
  const io = { stdout: (text: string | Uint8Array) => void (stdout += Buffer.from(text).toString('utf8')), stderr: (text: string) => void (stderr += text), stdin: process.stdin, env };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const records = [
  uploadRecord({ id: 'r1', object: 'users/42/a.jpg', receivedAt: '2026-08-01T10:01:00.000Z', vars: { 'x:uid': '42' } }),
  uploadRecord({ id: 'r2', object: 'users/7/b.jpg', receivedAt: '2026-08-01T10:02:00.000Z', vars: { 'x:uid': '7' }, uploader: 'bob' }),
  uploadRecord({ id: 'r3', source: 'reconcile', bucket: 'docs', object: 'evil\u001b[31m.txt', receivedAt: '2026-08-01T10:03:00.000Z', vars: {}, size: null, uploader: null }),
];

beforeAll(async () => {
  const store = openSqliteStore(path);
  for (const record of records) await store.create({ record, fingerprint: 'f' });
  await store.close();
});

describe('oss-callback records', () => {
  it('prints a table, newest first, from the store UPLOAD_STORE names', async () => {
    const { code, stdout } = await cli(['records']);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECEIVED\s+SOURCE\s+BUCKET\s+OBJECT\s+SIZE\s+UPLOADER\s+VARS\s+ID$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).at(-1))).toEqual(['r3', 'r2', 'r1']);
    expect(lines[1]).toContain('evil\\u001b[31m.txt');
    expect(lines[1]).toMatch(/^\S+\s+reconcile\s+docs\s/);
    expect(lines[2]).toMatch(/callback\s+photos\s+users\/7\/b\.jpg\s+1024\s+bob\s+x:uid=7\s+r2$/);
  });

  it('prints JSON with --json and filters by bucket, prefix, variable, uploader, source and limit', async () => {
    const ids = async (...argv: string[]) => {
      const { code, stdout } = await cli(['records', '--json', ...argv]);
      expect(code).toBe(0);
      return (JSON.parse(stdout) as { id: string }[]).map((record) => record.id);
    };
    expect(await ids()).toEqual(['r3', 'r2', 'r1']);
    expect(await ids('--bucket', 'photos', '--prefix', 'users/42/')).toEqual(['r1']);
    expect(await ids('--var', 'x:uid=7')).toEqual(['r2']);
    expect(await ids('--uploader', 'bob')).toEqual(['r2']);
    expect(await ids('--source', 'reconcile')).toEqual(['r3']);
    expect(await ids('--source', 'callback')).toEqual(['r2', 'r1']);
    expect(await ids('--source', 'event')).toEqual([]);
    expect(await ids('--limit', '2')).toEqual(['r3', 'r2']);
    expect(await ids('--store', 'memory:')).toEqual([]);
    const full = await cli(['records', '--json', '--limit', '1']);
    expect(JSON.parse(full.stdout)).toEqual([records[2]]);
  });

  it('says so when nothing matches', async () => {
    expect(await cli(['records', '--bucket', 'none'])).toMatchObject({ code: 0, stdout: 'no records\n' });
  });

  it.each([
    [['--prefix', 'users/'], '--prefix needs --bucket'],
    [['--var', 'x:uid'], '--var takes NAME=VALUE, e.g. --var x:uid=42'],
    [['--limit', '0'], '--limit must be a whole number from 1 to 10000, got "0"'],
    [['--limit', '-3'], '--limit must be a whole number from 1 to 10000, got "-3"'],
    [['--limit'], '--limit needs a value'],
    [['--limit', '--json'], '--limit needs a value'],
    [['--json=yes'], '--json takes no value'],
    [['--source', 'listing'], '--source must be one of callback, reconcile, event'],
    [['--bogus'], 'unknown option --bogus'],
  ])('refuses %j with one line naming the option, then where to read more', async (argv, message) => {
    const { code, stderr } = await cli(['records', ...argv]);
    expect(code).toBe(2);
    expect(stderr).toBe(`oss-callback records: ${message}\nsee \`oss-callback records --help\`\n`);
  });

  it('refuses a SQLite store that does not exist, and creates neither it nor its folders', async () => {
    const missing = join(dir, 'no', 'such', 'dir', 'x.db');
    const { code, stdout, stderr } = await cli(['records', '--store', `sqlite:${missing}`]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`oss-callback records: the store sqlite:${missing} does not exist; the receiver creates it when it starts, or run store init\n`);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('refuses a malformed store URI, naming the accepted forms', async () => {
    const { code, stderr } = await cli(['records', '--store', 'mysql://db']);
    expect(code).toBe(1);
    expect(stderr).toContain('use sqlite:<path>, memory:, dynamodb:<table> or tablestore:<instance>/<table>');
  });
});

describe('oss-callback store init', () => {
  it('creates a SQLite store and its folder, and is safe to run again', async () => {
    const fresh = join(dir, 'new', 'uploads.db');
    for (let run = 0; run < 2; run++) {
      const { code, stdout } = await cli(['store', 'init', '--store', `sqlite:${fresh}`]);
      expect(code).toBe(0);
      expect(stdout).toContain(`ready: sqlite:${fresh}`);
    }
    expect(await cli(['records', '--store', `sqlite:${fresh}`])).toMatchObject({ code: 0, stdout: 'no records\n' });
  });

  it('asks for the action', async () => {
    expect(await cli(['store'])).toMatchObject({ code: 2, stderr: expect.stringContaining('name an action: init') });
    expect(await cli(['store', 'drop'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown action "drop"') });
  });
});

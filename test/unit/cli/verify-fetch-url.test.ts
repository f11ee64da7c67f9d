import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRawRequest } from '../../../cli/raw-request.js';
import { runCli } from '../../support/cli-io.js';
import { signRequest, testKey } from '../../support/keys.js';
import { tempDir } from '../../support/temp-dir.js';

/** `verify --explain` says when a Fetch door would see another URL than the one OSS signed. */
const dir = tempDir('verify-fetch-');
const trustedKeys = join(dir, 'trusted-keys.json');
writeFileSync(trustedKeys, JSON.stringify({ [testKey.keyUrl]: testKey.publicPem }));

async function explain(rawPath: string, rawQuery: string | null = null): Promise<string> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.http`);
  writeFileSync(file, formatRawRequest(signRequest({ rawPath, rawQuery })));
  return (await runCli(['verify', '--explain', '--trusted-keys', trustedKeys, file])).stdout;
}

describe('oss-callback verify --explain: the URL a Fetch Request would carry', () => {
  it('shows it when the WHATWG URL parser changes the target', async () => {
    const stdout = await explain('/hooks/x/../oss/callback', "who=o'brien");

    expect(stdout).toMatch(/^as a Fetch URL: +\/hooks\/oss\/callback\?who=o%27brien \(what a Fetch Request in Hono or Next\.js carries/m);
    expect(stdout).toMatch(/^verified$/m);
  });

  it('says nothing for a target the parser leaves alone', async () => {
    expect(await explain('/oss/callback', 'tenant=7')).not.toMatch(/Fetch URL/);
  });
});

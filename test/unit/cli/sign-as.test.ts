import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import { fc3Request, parseFc3Event } from '../../../lib/platforms/fc3.js';
import { lambdaUrlRequest } from '../../../lib/platforms/lambda-url.js';
import { pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver, verifyCallback } from '../../../lib/protocol/verify.js';

const dir = mkdtempSync(join(tmpdir(), 'sign-as-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const keyFile = join(dir, 'private.pem');
writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
const keyUrl = 'https://oss-callback.dev.invalid/test.pem';
const keys = new KeyResolver(pinnedKeys(new Map([[keyUrl, publicKey]])));

async function sign(...extra: string[]) {
  const out: Buffer[] = [];
  const err: string[] = [];
  const io = { stdout: (t: string | Uint8Array) => void out.push(Buffer.from(t)), stderr: (t: string) => void err.push(t), stdin: process.stdin, env: {} };
  const argv = ['sign', '--key', keyFile, '--key-url', keyUrl, '--url', 'https://cb.example.test/oss/callback', '--body', 'bucket=b&object=o', ...extra];
  const code = await main(argv, io);
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err.join('') };
}

describe('oss-callback sign --as', () => {
  it('writes a function URL event whose request verifies', async () => {
    const { code, stdout } = await sign('--as', 'lambda-url', '--base64-body');
    expect(code).toBe(0);
    const event = JSON.parse(stdout);
    expect(event).toMatchObject({ version: '2.0', rawPath: '/oss/callback', isBase64Encoded: true });
    await expect(verifyCallback(lambdaUrlRequest(event), keys)).resolves.toBeDefined();
  });

  it('writes an FC 3.0 event, with a fixed date when asked, whose request verifies', async () => {
    const { code, stdout } = await sign('--as', 'fc3', '--date', '2024-05-07T03:06:13Z');
    expect(code).toBe(0);
    const event = parseFc3Event(Buffer.from(stdout));
    expect(event.headers?.Date).toBe('Tue, 07 May 2024 03:06:13 GMT');
    await expect(verifyCallback(fc3Request(event), keys)).resolves.toBeDefined();
  });

  it('keeps the raw HTTP request as the default', async () => {
    const { stdout } = await sign();
    expect(stdout).toMatch(/^POST \/oss\/callback HTTP\/1\.1\r\n/);
  });

  it('refuses an unknown format and --base64-body for raw HTTP, as usage errors', async () => {
    expect(await sign('--as', 'gcf')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--as must be one of http, lambda-url, fc3, fc2/) });
    expect(await sign('--base64-body')).toMatchObject({ code: 2 });
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseRawRequest } from '../../../cli/raw-request.js';
import { runCli } from '../../support/cli-io.js';
import { tempDir } from '../../support/temp-dir.js';

/** A key made by `oss-callback keygen`, used by `sign` and trusted by `verify`, as a developer would. */
const dir = tempDir('sign-cli-');
const keyUrl = 'https://keys.test.invalid/cli-dev.pem';
const privateKey = join(dir, 'private.pem');
const trustedKeys = join(dir, 'trusted-keys.json');

beforeAll(async () => {
  const run = await runCli(['keygen', '--out', dir, '--bits', '1024', '--key-url', keyUrl]);
  if (run.code !== 0) throw new Error(run.stderr);
});

const sign = (...options: string[]) => runCli(['sign', '--key', privateKey, '--key-url', keyUrl, ...options]);
const verify = (request: Buffer, ...options: string[]) => runCli(['verify', ...options, '-'], { stdin: request });

describe('oss-callback sign | oss-callback verify -', () => {
  it.each([
    { title: 'a form body with a query', url: 'http://127.0.0.1:9000/oss/callback?tenant=7', body: 'bucket=b&object=a.png&size=3', type: 'form' },
    { title: 'a JSON body', url: 'https://cb.example.test/cb', body: '{"bucket":"b","object":"o","crc64":18446744073709551615}', type: 'json' },
    { title: 'a non-ASCII, percent-encoded path', url: 'https://cb.example.test/上传/%E5%9B%9E%E8%B0%83?x=%7e', body: 'bucket=b&object=%E7%8C%AB', type: 'form' },
    { title: 'an empty query', url: 'https://cb.example.test/cb?', body: 'bucket=b&object=o', type: 'form' },
  ])('round-trips $title with a keygen key trusted through --trusted-keys', async ({ url, body, type }) => {
    // Prepare
    const signed = await sign('--url', url, '--body', body, '--type', type);
    expect(signed.code).toBe(0);

    // Act
    const run = await verify(signed.stdoutBytes, '--trusted-keys', trustedKeys);

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: 'verified\n', stderr: '' });
  });

  it('names, without --key-url, the URL keygen pinned the key under, so its trusted-keys file verifies it', async () => {
    // Prepare
    const own = tempDir('sign-cli-default-url-');
    await runCli(['keygen', '--out', own, '--bits', '1024']);

    // Act
    const signed = await runCli(['sign', '--key', join(own, 'private.pem'), '--url', 'http://127.0.0.1:9000/oss/callback', '--body', 'bucket=b&object=o']);

    // Assess
    expect(await verify(signed.stdoutBytes, '--trusted-keys', join(own, 'trusted-keys.json'))).toMatchObject({ code: 0, stdout: 'verified\n' });
  });

  it('is refused by verify when the key is not trusted', async () => {
    // Prepare
    const signed = await sign('--url', 'https://cb.example.test/cb', '--body', 'bucket=b&object=o');

    // Act
    const run = await verify(signed.stdoutBytes);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`not verified: UntrustedKeyUrl: the public key URL "${keyUrl}" is not trusted: it is not pinned (the official OSS key or a trusted-keys entry) and host keys.test.invalid is not gosspublic.alicdn.com\n`);
  });

  it('is refused by verify once a byte of the body changes', async () => {
    // Prepare
    const signed = await sign('--url', 'https://cb.example.test/cb', '--body', 'bucket=b&object=o');
    const tampered = Buffer.from(signed.stdoutBytes.toString('latin1').replace('object=o', 'object=p'), 'latin1');

    // Act
    const run = await verify(tampered, '--trusted-keys', trustedKeys);

    // Assess
    expect(run).toMatchObject({ code: 1, stdout: 'not verified: SignatureMismatch: the signature does not match the path, query and body\n' });
  });
});

describe('oss-callback sign', () => {
  it('prints a raw request with the content type of --type and the body as given', async () => {
    // Act
    const run = await sign('--url', 'https://cb.example.test/cb?a=1', '--body', '{"bucket":"b","object":"o"}', '--type', 'json');

    // Assess
    const request = parseRawRequest(run.stdoutBytes);
    expect(request).toMatchObject({ method: 'POST', rawPath: '/cb', rawQuery: 'a=1', trailing: 0 });
    expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-oss-signature-version': '1.0', host: 'cb.example.test' });
    expect(request.body.toString()).toBe('{"bucket":"b","object":"o"}');
  });

  it('reads the body from --body-file, bytes as they are', async () => {
    // Prepare
    const bodyFile = join(dir, 'body.txt');
    writeFileSync(bodyFile, 'bucket=b&object=o\n');

    // Act
    const run = await sign('--url', 'https://cb.example.test/cb', '--body-file', bodyFile);

    // Assess
    expect(parseRawRequest(run.stdoutBytes).body.toString()).toBe('bucket=b&object=o\n');
  });

  it.each([
    { title: 'no --key', argv: ['sign', '--key-url', 'u', '--url', 'http://h/', '--body', 'b'], message: '--key is required' },
    { title: 'no --url', argv: ['sign', '--key', privateKey, '--key-url', 'u', '--body', 'b'], message: '--url is required' },
    { title: 'no body', argv: ['sign', '--key', privateKey, '--key-url', 'u', '--url', 'http://h/'], message: 'give exactly one of --body and --body-file' },
    {
      title: 'both --body and --body-file',
      argv: ['sign', '--key', privateKey, '--key-url', 'u', '--url', 'http://h/', '--body', 'b', '--body-file', 'f'],
      message: 'give exactly one of --body and --body-file',
    },
    { title: 'a bad --type', argv: ['sign', '--key', privateKey, '--key-url', 'u', '--url', 'http://h/', '--body', 'b', '--type', 'xml'], message: '--type must be form or json, got "xml"' },
    { title: 'a key file that is not a private key', argv: ['sign', '--key', trustedKeys, '--key-url', 'u', '--url', 'http://h/', '--body', 'b'], message: `--key ${trustedKeys}: cannot read a PEM private key` },
  ])('exits 2 with one line naming the mistake for $title', async ({ argv, message }) => {
    // Act
    const run = await runCli(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`oss-callback sign: ${message}`);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining(message), 'see `oss-callback sign --help`', '']);
  });
});

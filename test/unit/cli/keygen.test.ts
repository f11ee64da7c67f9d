import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../../lib/protocol/rsa.js';
import { runCli } from '../../support/cli-io.js';
import { tempDir } from '../../support/temp-dir.js';

/** keygen's default: the key's own URL, named after the start of its SHA-256 fingerprint. */
const defaultKeyUrl = (out: string) =>
  `https://oss-callback.dev.invalid/${keyFingerprint(createPublicKey(readFileSync(join(out, 'public.pem')))).slice(0, 16)}.pem`;
const keygen = (out: string, ...extra: string[]) => runCli(['keygen', '--out', out, '--bits', '1024', ...extra]);
const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('oss-callback keygen', () => {
  it('writes a private key (mode 0600), its public key and a trusted-keys file that pins it', async () => {
    // Prepare
    const out = join(tempDir(), 'new-folder');

    // Act
    const run = await keygen(out);

    // Assess
    expect(run.code).toBe(0);
    const privateKey = createPrivateKey(readFileSync(join(out, 'private.pem')));
    const publicPem = readFileSync(join(out, 'public.pem'), 'utf8');
    expect(modeOf(join(out, 'private.pem'))).toBe(0o600);
    expect(keyFingerprint(createPublicKey(publicPem))).toBe(keyFingerprint(createPublicKey(privateKey)));
    expect(JSON.parse(readFileSync(join(out, 'trusted-keys.json'), 'utf8'))).toEqual({ [defaultKeyUrl(out)]: publicPem });
  });

  it('pins every key it makes under a URL of its own, never the committed development key\'s', async () => {
    // Prepare
    const [first, second] = [tempDir(), tempDir()];

    // Act
    await keygen(first);
    await keygen(second);

    // Assess
    const urls = [first, second].map((out) => Object.keys(JSON.parse(readFileSync(join(out, 'trusted-keys.json'), 'utf8')))[0]);
    expect(urls).toEqual([defaultKeyUrl(first), defaultKeyUrl(second)]);
    expect(new Set([...urls, 'https://oss-callback.dev.invalid/dev-key.pem']).size).toBe(3);
  });

  it('makes a callback signed with the committed development key fail as UntrustedKeyUrl naming its URL', async () => {
    // Prepare: the sample events are signed with test/dev-key; a user trusts only a key of their own.
    const out = tempDir();
    await keygen(out);

    // Act
    const run = await runCli(['verify', '--trusted-keys', join(out, 'trusted-keys.json'), 'events/http/put-object-json.http']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^not verified: UntrustedKeyUrl: the public key URL "https:\/\/oss-callback\.dev\.invalid\/dev-key\.pem" is not trusted: it is not pinned/);
  });

  it('prints the key URL, the key fingerprint and how to use the files', async () => {
    // Prepare
    const out = tempDir();

    // Act
    const run = await keygen(out);

    // Assess
    const fingerprint = keyFingerprint(createPublicKey(readFileSync(join(out, 'public.pem'))));
    expect(run.stdout).toContain(`key url: ${defaultKeyUrl(out)}\n`);
    expect(run.stdout).toContain(`key sha-256: ${fingerprint}\n`);
    expect(run.stdout).toContain(`export OSS_CALLBACK_TRUSTED_KEYS=${join(out, 'trusted-keys.json')}`);
    expect(run.stdout).toContain(`--key-url ${defaultKeyUrl(out)} --url http://127.0.0.1:9000/oss/callback `);
  });

  it('pins the key under the URL given with --key-url', async () => {
    // Prepare
    const out = tempDir();

    // Act
    await keygen(out, '--key-url', 'https://keys.example.test/k.pem');

    // Assess
    expect(Object.keys(JSON.parse(readFileSync(join(out, 'trusted-keys.json'), 'utf8')))).toEqual(['https://keys.example.test/k.pem']);
  });

  it('makes a key of the size asked for', async () => {
    // Prepare
    const out = tempDir();

    // Act
    await runCli(['keygen', '--out', out, '--bits', '512']);

    // Assess
    expect(createPublicKey(readFileSync(join(out, 'public.pem'))).asymmetricKeyDetails?.modulusLength).toBe(512);
  });

  it('refuses to overwrite existing files without --force, as a usage error, and leaves them alone', async () => {
    // Prepare
    const out = tempDir();
    await keygen(out);
    const before = readFileSync(join(out, 'private.pem'), 'utf8');

    // Act
    const run = await keygen(out);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`oss-callback keygen: ${join(out, 'private.pem')}, ${join(out, 'public.pem')}, ${join(out, 'trusted-keys.json')} already exist; pass --force to overwrite`);
    expect(readFileSync(join(out, 'private.pem'), 'utf8')).toBe(before);
  });

  it('refuses when only one of the files exists', async () => {
    // Prepare
    const out = tempDir();
    writeFileSync(join(out, 'trusted-keys.json'), '{}');

    // Act
    const run = await keygen(out);

    // Assess
    expect(run.code).toBe(2);
    expect(existsSync(join(out, 'private.pem'))).toBe(false);
  });

  it('overwrites with --force, with a new key', async () => {
    // Prepare
    const out = tempDir();
    await keygen(out);
    const before = readFileSync(join(out, 'public.pem'), 'utf8');

    // Act
    const run = await keygen(out, '--force');

    // Assess
    expect(run.code).toBe(0);
    expect(readFileSync(join(out, 'public.pem'), 'utf8')).not.toBe(before);
  });

  it('leaves the private key at mode 0600 when --force replaces a readable file', async () => {
    // Prepare
    const out = tempDir();
    writeFileSync(join(out, 'private.pem'), 'old');
    chmodSync(join(out, 'private.pem'), 0o644);

    // Act
    await keygen(out, '--force');

    // Assess
    expect(modeOf(join(out, 'private.pem'))).toBe(0o600);
  });

  it.each([
    { title: 'no --out', argv: ['keygen'], message: '--out is required' },
    { title: 'a --bits below 512', argv: ['keygen', '--out', 'x', '--bits', '256'], message: '--bits must be a whole number from 512 to 8192' },
    { title: 'a --bits that is not a number', argv: ['keygen', '--out', 'x', '--bits', 'many'], message: '--bits must be a whole number from 512 to 8192' },
    { title: 'an unknown option', argv: ['keygen', '--out', 'x', '--size', '2'], message: 'unknown option --size' },
    { title: 'a positional argument', argv: ['keygen', 'x'], message: 'unexpected argument "x"' },
  ])('exits 2 with one line naming the mistake for $title', async ({ argv, message }) => {
    // Act
    const run = await runCli(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining(message), 'see `oss-callback keygen --help`', '']);
  });
});

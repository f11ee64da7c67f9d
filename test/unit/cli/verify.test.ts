import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatRawRequest } from '../../../cli/raw-request.js';
import { runCli } from '../../support/cli-io.js';
import { signRequest, testKey } from '../../support/keys.js';
import { tempDir } from '../../support/temp-dir.js';
import { OFFICIAL_KEY_FACTS, OSS_DOC_CAPTURE_FILE, OSS_DOC_VECTOR, SYNTHETIC_VECTOR } from '../../vectors/signature-vectors.js';

const DOC_CAPTURE = fileURLToPath(OSS_DOC_CAPTURE_FILE);
const capture = readFileSync(DOC_CAPTURE, 'latin1');
const dir = tempDir('verify-cli-');
const MISMATCH = 'not verified: SignatureMismatch: the signature does not match the path, query and body\n';

let files = 0;
/** Write a capture (text as latin1 bytes, or bytes) to a fresh file and return its path. */
function captureFile(content: string | Buffer): string {
  const path = join(dir, `capture-${++files}.http`);
  writeFileSync(path, typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  return path;
}

/** The §7.2 capture with one edit. */
const edited = (from: string, to: string) => captureFile(capture.replace(from, to));

function trustedKeysFile(entries: Record<string, string>): string {
  const path = join(dir, `trusted-${++files}.json`);
  writeFileSync(path, JSON.stringify(entries));
  return path;
}

/** The value `--explain` prints for a label. */
function explained(stdout: string, label: string): string | undefined {
  return new RegExp(`^${label}:\\s+(.*)$`, 'm').exec(stdout)?.[1];
}

describe('oss-callback verify: the real OSS capture (protocol note §7.2)', () => {
  it('verifies the capture file with the pinned official key and exits 0', async () => {
    // Act
    const run = await runCli(['verify', DOC_CAPTURE]);

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: 'verified\n', stderr: '' });
  });

  it('explains: the escaped string to sign, its MD5, the key URL, the key fingerprint and the check', async () => {
    // Act
    const run = await runCli(['verify', '--explain', DOC_CAPTURE]);

    // Assess
    expect(run.code).toBe(0);
    expect(explained(run.stdout, 'request')).toBe('POST /index.php?id=1&index=2');
    expect(explained(run.stdout, 'string to sign')).toBe('"/index.php?id=1&index=2\\nbucket=yonghu-test" (42 bytes)');
    expect(explained(run.stdout, 'md5')).toBe(OSS_DOC_VECTOR.md5);
    expect(explained(run.stdout, 'key url')).toBe(`${OSS_DOC_VECTOR.keyUrl} (pinned: official OSS callback key v1)`);
    expect(explained(run.stdout, 'key sha-256')).toBe(OFFICIAL_KEY_FACTS.spkiSha256);
    expect(explained(run.stdout, 'signature')).toBe('64 bytes');
    expect(explained(run.stdout, 'check')).toBe('RSA-MD5 signature over the string to sign holds');
    expect(run.stdout.endsWith('verified\n')).toBe(true);
  });

  it('verifies the capture with LF-only line endings', async () => {
    // Prepare
    const path = captureFile(capture.replaceAll('\r\n', '\n'));

    // Act
    const run = await runCli(['verify', path]);

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: 'verified\n' });
  });

  it('verifies the capture read from standard input with -', async () => {
    // Act
    const run = await runCli(['verify', '-'], { stdin: readFileSync(DOC_CAPTURE) });

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: 'verified\n' });
  });

  it('ignores bytes after Content-Length, and --explain says so', async () => {
    // Prepare
    const path = captureFile(`${capture}\n`);

    // Act
    const run = await runCli(['verify', '--explain', path]);

    // Assess
    expect(run.code).toBe(0);
    expect(explained(run.stdout, 'body')).toBe('18 bytes (1 bytes after Content-Length ignored)');
  });

  it.each([
    { title: 'the query dropped', path: () => edited('POST /index.php?id=1&index=2 ', 'POST /index.php ') },
    {
      title: "the 2025 doc's edited body",
      path: () => captureFile(capture.replace('Content-Length: 18', 'Content-Length: 20').replace('bucket=yonghu-test', 'bucket=examplebucket')),
    },
    { title: 'a flipped signature byte', path: () => edited('H2txA==', 'H2txQ==') },
  ])('refuses the capture with $title and exits 1', async ({ path }) => {
    // Act
    const run = await runCli(['verify', path()]);

    // Assess
    expect(run).toMatchObject({ code: 1, stdout: MISMATCH, stderr: '' });
  });

  it('refuses a capture with a newline added to the body and names the likely cause', async () => {
    // Prepare
    const path = captureFile(`${capture.replace('Content-Length: 18', 'Content-Length: 19')}\n`);

    // Act
    const run = await runCli(['verify', '--explain', path]);

    // Assess
    expect(run.code).toBe(1);
    expect(explained(run.stdout, 'string to sign')).toBe('"/index.php?id=1&index=2\\nbucket=yonghu-test\\n" (43 bytes)');
    expect(explained(run.stdout, 'failed check')).toBe('RSA-MD5 signature over the string to sign');
    expect(explained(run.stdout, 'likely cause')).toBe('a newline was added at the end of the body (an editor or a capture tool?) (undo that and the signature holds)');
    expect(run.stdout.endsWith(MISMATCH)).toBe(true);
  });

  it('names only what the capture cannot rule out when none of the usual changes explains the mismatch', async () => {
    // Prepare
    const path = edited('H2txA==', 'H2txQ==');

    // Act
    const run = await runCli(['verify', '--explain', path]);

    // Assess
    expect(explained(run.stdout, 'likely cause')).toMatch(/^possibly a proxy or gateway in front stripped a prefix of the path .*; else the bytes or the key differ from what OSS signed$/);
  });

  it('refuses a truncated capture with a clear message and exits 1', async () => {
    // Prepare
    const path = captureFile(capture.slice(0, -7));

    // Act
    const run = await runCli(['verify', path]);

    // Assess
    expect(run).toMatchObject({
      code: 1,
      stdout: 'not verified: MalformedRequest: the body is truncated: Content-Length says 18 bytes, the capture has 11\n',
    });
  });

  it('refuses a capture without the blank line after the headers', async () => {
    // Prepare
    const path = edited('\r\n\r\n', '\r\n');

    // Act
    const run = await runCli(['verify', path]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'not verified: MalformedRequest: no blank line ends the headers; a raw request is a request line, headers, a blank line, then the body\n',
    );
  });

  it('refuses a capture without an authorization header', async () => {
    // Prepare
    const path = edited(`authorization: ${OSS_DOC_VECTOR.authorization}\r\n`, '');

    // Act
    const run = await runCli(['verify', '--explain', path]);

    // Assess
    expect(run.code).toBe(1);
    expect(explained(run.stdout, 'failed check')).toBe('signature headers and key');
    expect(run.stdout.endsWith('not verified: MissingSignature: the request has no authorization header\n')).toBe(true);
  });

  it('refuses a capture naming a hostile key URL, without fetching it', async () => {
    // Prepare
    const hostile = 'https://gosspublic.alicdn.com.evil.com/callback_pub_key_v1.pem';
    const path = edited(Buffer.from(OSS_DOC_VECTOR.keyUrl).toString('base64'), Buffer.from(hostile).toString('base64'));

    // Act
    const run = await runCli(['verify', path]);
    const explainedRun = await runCli(['verify', '--explain', path]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `not verified: UntrustedKeyUrl: the public key URL "${hostile}" is not trusted: it is not pinned (the official OSS key or a trusted-keys entry) and host gosspublic.alicdn.com.evil.com is not gosspublic.alicdn.com\n`,
    );
    expect(explained(explainedRun.stdout, 'key url')).toBe(`${hostile} (refused: nothing fetched)`);
  });
});

describe('oss-callback verify --explain: likely causes of a mismatch', () => {
  const trusted = () => trustedKeysFile({ [testKey.keyUrl]: testKey.publicPem });
  /** A test-key callback signed for `signedTarget`, delivered to `receivedPath` and `receivedQuery`. */
  const delivered = (signed: { rawPath: string; rawQuery: string | null }, received: { rawPath: string; rawQuery: string | null }) =>
    captureFile(formatRawRequest({ ...signRequest(signed), ...received }));

  it.each([
    {
      title: 'a reordered query',
      signed: { rawPath: '/oss/callback', rawQuery: 'tenant=7&next=%2Fdone&x=1' },
      received: { rawPath: '/oss/callback', rawQuery: 'next=%2Fdone&tenant=7&x=1' },
      cause: 'the query was reordered on the way: OSS signed "?tenant=7&next=%2Fdone&x=1" (undo that and the signature holds)',
    },
    {
      title: 'an added base path',
      signed: { rawPath: '/oss/callback', rawQuery: null },
      received: { rawPath: '/prod/v1/oss/callback', rawQuery: null },
      cause: 'the base path "/prod/v1" was added in front of the path OSS signed (a gateway stage or a proxy prefix?) (undo that and the signature holds)',
    },
    {
      title: 'a stripped query',
      signed: { rawPath: '/oss/callback', rawQuery: 'tenant=7' },
      received: { rawPath: '/oss/callback', rawQuery: null },
      cause:
        'possibly a proxy or gateway in front stripped a prefix of the path (proxy_pass http://app/; turns /api/oss/callback into /oss/callback): OSS signed the callbackUrl\'s whole path, so "/oss/callback" must be all of it; ' +
        'or the URL arrived without a query: if the callbackUrl given to OSS had one, something in front stripped it (OSS signed the query); else the bytes or the key differ from what OSS signed',
    },
    {
      title: 'a stripped path prefix',
      signed: { rawPath: '/api/oss/callback', rawQuery: 'tenant=7' },
      received: { rawPath: '/oss/callback', rawQuery: 'tenant=7' },
      cause:
        'possibly a proxy or gateway in front stripped a prefix of the path (proxy_pass http://app/; turns /api/oss/callback into /oss/callback): OSS signed the callbackUrl\'s whole path, so "/oss/callback" must be all of it; ' +
        'else the bytes or the key differ from what OSS signed',
    },
  ])('names $title', async ({ signed, received, cause }) => {
    // Prepare
    const path = delivered(signed, received);

    // Act
    const run = await runCli(['verify', '--explain', '--trusted-keys', trusted(), path]);

    // Assess
    expect(run.code).toBe(1);
    expect(explained(run.stdout, 'key url')).toBe(`${testKey.keyUrl} (pinned: trusted keys file)`);
    expect(explained(run.stdout, 'likely cause')).toBe(cause);
  });
});

describe('oss-callback verify: the synthetic vector (protocol note §7.4)', () => {
  const request = {
    method: 'POST',
    rawPath: SYNTHETIC_VECTOR.rawPath,
    rawQuery: SYNTHETIC_VECTOR.rawQuery,
    headers: {
      'content-length': String(SYNTHETIC_VECTOR.body.length),
      authorization: SYNTHETIC_VECTOR.authorization,
      'content-type': SYNTHETIC_VECTOR.contentType,
      'x-oss-pub-key-url': Buffer.from(SYNTHETIC_VECTOR.keyUrl).toString('base64'),
    },
    body: Buffer.from(SYNTHETIC_VECTOR.body),
  };

  it('is refused as it is: it names the official key URL but was signed with another key', async () => {
    // Prepare
    const path = captureFile(formatRawRequest(request));

    // Act
    const run = await runCli(['verify', path]);

    // Assess
    expect(run).toMatchObject({ code: 1, stdout: MISMATCH });
  });

  it('verifies with its own key pinned through --trusted-keys', async () => {
    // Prepare
    const ownUrl = 'https://keys.test.invalid/alphasnow.pem';
    const path = captureFile(formatRawRequest({ ...request, headers: { ...request.headers, 'x-oss-pub-key-url': Buffer.from(ownUrl).toString('base64') } }));
    const trusted = trustedKeysFile({ [ownUrl]: SYNTHETIC_VECTOR.publicKeyPem! });

    // Act
    const run = await runCli(['verify', '--explain', '--trusted-keys', trusted, path]);

    // Assess
    expect(run.code).toBe(0);
    expect(explained(run.stdout, 'key url')).toBe(`${ownUrl} (pinned: trusted keys file)`);
  });
});

describe('oss-callback verify: trusted keys', () => {
  it('reads the trusted keys file named by OSS_CALLBACK_TRUSTED_KEYS', async () => {
    // Prepare
    const path = captureFile(formatRawRequest(signRequest()));
    const env = { OSS_CALLBACK_TRUSTED_KEYS: trustedKeysFile({ [testKey.keyUrl]: testKey.publicPem }) };

    // Act
    const run = await runCli(['verify', path], { env });

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: 'verified\n' });
  });

  it('refuses a dev-key callback when its key is not trusted', async () => {
    // Prepare
    const path = captureFile(formatRawRequest(signRequest()));

    // Act
    const run = await runCli(['verify', path]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('not verified: UntrustedKeyUrl: ');
  });
});

describe('oss-callback verify: usage', () => {
  it.each([
    { title: 'no request file', argv: ['verify'], message: 'give one request file, or - for standard input' },
    { title: 'two request files', argv: ['verify', 'a.http', 'b.http'], message: 'give one request file, or - for standard input' },
    { title: 'an unknown option', argv: ['verify', '--explian', 'a.http'], message: 'unknown option --explian' },
    { title: 'a file that cannot be read', argv: ['verify', '/nonexistent/capture.http'], message: 'cannot read /nonexistent/capture.http' },
    { title: 'a trusted-keys file that cannot be read', argv: ['verify', '--trusted-keys', '/nonexistent/keys.json', 'a.http'], message: '--trusted-keys: cannot read the trusted keys file /nonexistent/keys.json' },
  ])('exits 2 with one line naming the mistake for $title', async ({ argv, message }) => {
    // Act
    const run = await runCli(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`oss-callback verify: ${message}`);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining(message), 'see `oss-callback verify --help`', '']);
  });
});


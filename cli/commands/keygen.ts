import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyFingerprint } from '../../lib/protocol/rsa.js';
import { devKeyUrl } from '../dev-key-url.js';
import { EXIT, UsageError, parseCommandArgs, requireOption, wholeNumberOption, type Command } from '../args.js';

export const DEV_KEY_FILES = { privateKey: 'private.pem', publicKey: 'public.pem', trustedKeys: 'trusted-keys.json' } as const;

export const command: Command = {
  summary: 'make a development key pair and a trusted-keys file for it',
  usage: `Usage: oss-callback keygen --out DIR [--key-url URL] [--bits N] [--force]

Writes an RSA key pair for development and tests, and a trusted-keys JSON that pins its public half
under a key URL, for OSS_CALLBACK_TRUSTED_KEYS. Never trust a development key in production.

  DIR/private.pem         the private key (mode 0600): signs callbacks with 'oss-callback sign'
  DIR/public.pem          the public key
  DIR/trusted-keys.json   {"<key url>": "<public PEM>"}

Options:
  --out DIR        folder to write to (created if missing)
  --key-url URL    the URL the key is pinned under (default https://oss-callback.dev.invalid/<fp>.pem,
                   <fp> the start of the key's SHA-256, so no two keys share a URL); it only names
                   the key, nothing ever fetches it
  --bits N         modulus size (default 2048; OSS's own key is 512)
  --force          overwrite existing files
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { out: { type: 'string' }, 'key-url': { type: 'string' }, bits: { type: 'string' }, force: { type: 'boolean' } },
      false,
    );
    const out = requireOption(values.out, 'out');
    const bits = wholeNumberOption(values.bits, 'bits', 2048, 512, 8192);
    const paths = Object.fromEntries(Object.entries(DEV_KEY_FILES).map(([name, file]) => [name, join(out, file)])) as Record<keyof typeof DEV_KEY_FILES, string>;
    const existing = Object.values(paths).filter((path) => existsSync(path));
    if (existing.length && !values.force) throw new UsageError(`${existing.join(', ')} already exist; pass --force to overwrite`);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
    const keyUrl = values['key-url'] ?? devKeyUrl(publicKey);
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    mkdirSync(out, { recursive: true });
    // `mode` applies only when the file is created: remove an old one (--force) so the key is never
    // written into a file others can read.
    rmSync(paths.privateKey, { force: true });
    writeFileSync(paths.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    writeFileSync(paths.publicKey, publicPem);
    writeFileSync(paths.trustedKeys, `${JSON.stringify({ [keyUrl]: publicPem }, null, 2)}\n`);
    io.stdout(
      `wrote ${paths.privateKey}, ${paths.publicKey} and ${paths.trustedKeys}\n` +
        `key url: ${keyUrl}\nkey sha-256: ${keyFingerprint(publicKey)}\n\n` +
        `trust it:  export OSS_CALLBACK_TRUSTED_KEYS=${paths.trustedKeys}\n` +
        `sign with: oss-callback sign --key ${paths.privateKey} --key-url ${keyUrl} --url http://127.0.0.1:9000/oss/callback --body 'bucket=b&object=o'\n`,
    );
    return EXIT.ok;
  },
};

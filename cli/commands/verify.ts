import { createHash, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isCallbackError } from '../../lib/errors.js';
import type { CallbackRequest } from '../../lib/exchange.js';
import { whatwgTarget } from '../../lib/platforms/fetch.js';
import { KeyCache } from '../../lib/protocol/key-cache.js';
import { OFFICIAL_KEY_URLS } from '../../lib/protocol/official-key.js';
import { keyFingerprint, verifyRsaMd5 } from '../../lib/protocol/rsa.js';
import { percentDecodePath, stringToSign, type SignedParts } from '../../lib/protocol/string-to-sign.js';
import { loadTrustedKeysFile, pinnedKeys, TrustedKeysError } from '../../lib/protocol/trusted-keys.js';
import type { KeyUrlDecision } from '../../lib/protocol/key-url.js';
import { KeyResolver, readSignatureHeaders } from '../../lib/protocol/verify.js';
import { EXIT, UsageError, parseCommandArgs, readAll, type Command, type CommandIo } from '../args.js';
import { confirmedCause, possibleCauses } from '../likely-causes.js';
import { parseRawRequest, RawRequestError } from '../raw-request.js';

/** Bytes as a readable literal: printable ASCII as is, everything else escaped. */
export function escapeBytes(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x0a) out += '\\n';
    else if (byte === 0x0d) out += '\\r';
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${out}"`;
}

async function readRequest(file: string, io: CommandIo): Promise<CallbackRequest & { trailing: number }> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readAll(io.stdin) : readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return parseRawRequest(bytes);
}

/** Where the key for a URL comes from, as the resolver decides it: before any fetch, and without one for a refused URL. */
function keySource(decision: KeyUrlDecision): string {
  switch (decision.kind) {
    case 'pinned':
      return (OFFICIAL_KEY_URLS as readonly string[]).includes(decision.url) ? 'pinned: official OSS callback key v1' : 'pinned: trusted keys file';
    case 'fetch':
      return `not pinned: fetched from ${decision.fetchUrl}`;
    case 'refused':
      return 'refused: nothing fetched';
  }
}

function likelyCause(request: SignedParts, key: KeyObject, signature: Buffer): string {
  const confirmed = confirmedCause(request, key, signature);
  if (confirmed) return `${confirmed} (undo that and the signature holds)`;
  // The capture cannot show these (the removed bytes are gone), nor rule them out.
  return `possibly ${possibleCauses(request).join('; or ')}; else the bytes or the key differ from what OSS signed`;
}

export const command: Command = {
  summary: 'check the OSS signature of a captured raw HTTP request',
  usage: `Usage: oss-callback verify [--explain] [--trusted-keys FILE] <request-file | ->

Reads a raw HTTP/1.x request as captured on the wire (or printed by 'oss-callback sign') and checks
its OSS callback signature: 'verified' and exit 0, or why not and exit 1. The official OSS key is
pinned, so no network is needed for real OSS callbacks.

Options:
  --explain             show the string to sign (escaped), its MD5, the key URL, the key's SHA-256
                        fingerprint and which check failed, with the likely cause when one is found
  --trusted-keys FILE   extra trusted keys {"<key url>": "<PEM>"} (default: $OSS_CALLBACK_TRUSTED_KEYS)
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { explain: { type: 'boolean' }, 'trusted-keys': { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('give one request file, or - for standard input');
    const trustedFile = values['trusted-keys'] ?? io.env.OSS_CALLBACK_TRUSTED_KEYS;
    let keys: KeyResolver;
    try {
      keys = new KeyResolver(pinnedKeys(trustedFile ? loadTrustedKeysFile(trustedFile) : undefined), new KeyCache());
    } catch (error) {
      if (error instanceof TrustedKeysError) throw new UsageError(`--trusted-keys: ${error.message}`);
      throw error;
    }
    const explain = values.explain ? (label: string, value: string) => io.stdout(`${`${label}:`.padEnd(16)} ${value}\n`) : () => {};
    const refuse = (message: string) => {
      io.stdout(`not verified: ${message}\n`);
      return EXIT.refused;
    };

    let request;
    try {
      request = await readRequest(positionals[0]!, io);
    } catch (error) {
      if (error instanceof RawRequestError) return refuse(`MalformedRequest: ${error.message}`);
      throw error;
    }
    const target = request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
    const signed = stringToSign(request);
    explain('request', `${request.method} ${target}`);
    explain('decoded path', escapeBytes(percentDecodePath(request.rawPath)));
    explain('query', request.rawQuery === null ? '(none: nothing between path and newline)' : escapeBytes(Buffer.from(`?${request.rawQuery}`)));
    const fetchTarget = whatwgTarget(target);
    if (fetchTarget !== target) explain('as a Fetch URL', `${fetchTarget} (what a Fetch Request in Hono or Next.js carries: the WHATWG URL parser changes this URL)`);
    explain('body', `${request.body.length} bytes${request.trailing ? ` (${request.trailing} bytes after Content-Length ignored)` : ''}`);
    explain('string to sign', `${escapeBytes(signed)} (${signed.length} bytes)`);
    explain('md5', createHash('md5').update(signed).digest('hex'));

    let signature: Buffer;
    let key: KeyObject;
    try {
      const headers = readSignatureHeaders(request.headers);
      signature = headers.signature;
      explain('key url', `${headers.keyUrl} (${keySource(keys.decide(headers.keyUrl))})`);
      key = await keys.resolve(headers.keyUrl);
    } catch (error) {
      if (!isCallbackError(error)) throw error;
      explain('failed check', 'signature headers and key');
      return refuse(`${error.code}: ${error.message}`);
    }
    explain('key sha-256', keyFingerprint(key));
    explain('signature', `${signature.length} bytes`);
    if (verifyRsaMd5(key, signed, signature)) {
      explain('check', 'RSA-MD5 signature over the string to sign holds');
      io.stdout('verified\n');
      return EXIT.ok;
    }
    explain('failed check', 'RSA-MD5 signature over the string to sign');
    if (values.explain) explain('likely cause', likelyCause(request, key, signature));
    return refuse('SignatureMismatch: the signature does not match the path, query and body');
  },
};

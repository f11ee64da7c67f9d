import type { KeyObject } from 'node:crypto';
import { CallbackError } from '../errors.js';
import type { CallbackRequest } from '../exchange.js';
import { decideKeyUrl, type KeyUrlDecision } from './key-url.js';
import { KeyCache } from './key-cache.js';
import { verifyRsaMd5 } from './rsa.js';
import { stringToSign } from './string-to-sign.js';
import type { PinnedKeys } from './trusted-keys.js';

const MAX_DECISIONS = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface SignatureHeaders {
  signature: Buffer;
  keyUrl: string;
}

function decodeBase64(value: string): Buffer | undefined {
  const trimmed = value.trim();
  return trimmed && BASE64.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
}

/** Read and decode `authorization` and `x-oss-pub-key-url`; refuse an unknown signature version. */
export function readSignatureHeaders(headers: Record<string, string>): SignatureHeaders {
  const version = headers['x-oss-signature-version'];
  if (version !== undefined && version.trim() !== '1.0') {
    throw new CallbackError('UnsupportedSignatureVersion', `x-oss-signature-version ${JSON.stringify(version)} is not supported; only 1.0 is`);
  }
  const authorization = headers['authorization'];
  const keyUrlHeader = headers['x-oss-pub-key-url'];
  if (!authorization) throw new CallbackError('MissingSignature', 'the request has no authorization header');
  if (!keyUrlHeader) throw new CallbackError('MissingSignature', 'the request has no x-oss-pub-key-url header');
  const signature = decodeBase64(authorization);
  if (!signature) throw new CallbackError('SignatureMismatch', 'the authorization header is not base64');
  const keyUrlBytes = decodeBase64(keyUrlHeader);
  if (!keyUrlBytes) throw new CallbackError('UntrustedKeyUrl', 'x-oss-pub-key-url is not base64');
  return { signature, keyUrl: keyUrlBytes.toString('utf8') };
}

/** Turns a key URL into a key: pinned, fetched through the cache, or refused with no request made. */
export class KeyResolver {
  /** Decisions by URL text, so a warm instance parses each key URL once; bounded against churn. */
  readonly #decisions = new Map<string, KeyUrlDecision>();

  constructor(
    private readonly pinned: PinnedKeys,
    private readonly cache: KeyCache = new KeyCache(),
  ) {}

  decide(keyUrl: string): KeyUrlDecision {
    let decision = this.#decisions.get(keyUrl);
    if (!decision) {
      decision = decideKeyUrl(keyUrl, (url) => this.pinned.has(url));
      if (this.#decisions.size >= MAX_DECISIONS) this.#decisions.clear();
      this.#decisions.set(keyUrl, decision);
    }
    return decision;
  }

  async resolve(keyUrl: string): Promise<KeyObject> {
    const decision = this.decide(keyUrl);
    switch (decision.kind) {
      case 'pinned':
        return this.pinned.get(decision.url)!;
      case 'fetch':
        return this.cache.get(decision.fetchUrl);
      case 'refused':
        throw new CallbackError('UntrustedKeyUrl', `the public key URL ${JSON.stringify(keyUrl)} is not trusted: it is not pinned (the official OSS key or a trusted-keys entry) and ${decision.reason}`);
    }
  }
}

export interface VerifiedCallback {
  /** The exact bytes the signature covers. */
  signed: Buffer;
  keyUrl: string;
}

/**
 * Prove the request came from OSS, over the bytes received; throws a `CallbackError` if not. A door
 * that could not get the bytes (a body parser read them first) says why, and that is the refusal.
 */
export async function verifyCallback(request: CallbackRequest, keys: KeyResolver): Promise<VerifiedCallback> {
  if (request.bodyUnavailable !== undefined) throw new CallbackError('Misconfigured', request.bodyUnavailable);
  const { signature, keyUrl } = readSignatureHeaders(request.headers);
  const key = await keys.resolve(keyUrl);
  const signed = stringToSign(request);
  if (!verifyRsaMd5(key, signed, signature)) {
    throw new CallbackError('SignatureMismatch', `the signature does not match the path, query and body received${mismatchHint(request)}`);
  }
  return { signed, keyUrl };
}

/** What a door did to the request that may be why a real OSS signature fails. */
function mismatchHint(request: CallbackRequest): string {
  if (request.queryReconstructed) return ' (the query was rebuilt from parsed parameters and may differ from what OSS signed)';
  if (request.urlNormalized) return ' (the URL went through a WHATWG URL parser, which resolves dot segments, reads \\ as / and percent-encodes some characters, so it may differ from what OSS signed)';
  return '';
}

import { callbackUpload, type CallbackUpload } from './callback-upload.js';
import { ConfigError, pinnedKeysFromEnv } from './config.js';
import type { CallbackRequest } from './exchange.js';
import { fetchCallbackRequest } from './platforms/fetch.js';
import { KeyCache } from './protocol/key-cache.js';
import { pinnedKeys, trustedKeysOf } from './protocol/trusted-keys.js';
import { KeyResolver, verifyCallback as verifySignature } from './protocol/verify.js';

export interface VerifyOptions {
  /**
   * Keys to trust besides the official OSS key, `{ "<key url>": "<PEM public key>" }`, as
   * `createReceiver` takes them. Default: the `OSS_CALLBACK_TRUSTED_KEYS` file, else none. Keep the
   * object for the life of the process: the parsed keys are kept per object.
   */
  trustedKeys?: Readonly<Record<string, string>>;
}

/** What a verified callback says: its upload (see `CallbackUpload`) and the key URL that signed it. */
export interface VerifiedCallback extends CallbackUpload {
  /** The public key URL the signature was checked against: pinned, or fetched from gosspublic.alicdn.com. */
  keyUrl: string;
}

/** Keys fetched from gosspublic.alicdn.com are the same whoever asks, so one cache serves every call. */
const fetchedKeys = new KeyCache();
const resolvers = new WeakMap<object, KeyResolver>();
let environmentResolver: KeyResolver | undefined;

function resolverFor(trustedKeys: Readonly<Record<string, string>> | undefined): KeyResolver {
  if (!trustedKeys) return (environmentResolver ??= new KeyResolver(pinnedKeysFromEnv(process.env), fetchedKeys));
  let resolver = resolvers.get(trustedKeys);
  if (!resolver) {
    try {
      resolver = new KeyResolver(pinnedKeys(trustedKeysOf(trustedKeys, 'trustedKeys')), fetchedKeys);
    } catch (error) {
      throw new ConfigError((error as Error).message, { cause: error });
    }
    resolvers.set(trustedKeys, resolver);
  }
  return resolver;
}

/**
 * Check that OSS sent this callback, over the bytes received, and parse its body: for applications
 * that keep their own records. Takes the callback request a door builds (`nodeCallbackRequest`,
 * `fetchCallbackRequest`) or a Fetch `Request`. Throws a `CallbackError` whose `code` says why not
 * (`MissingSignature`, `SignatureMismatch`, `UntrustedKeyUrl`, `KeyUnavailable`, `MalformedBody`,
 * `UnsupportedContentType`, `MissingField`, `BodyTooLarge`, `Misconfigured`, …) and whose `status` is
 * the HTTP status the receiver would answer.
 */
export async function verifyCallback(request: CallbackRequest | Request, options: VerifyOptions = {}): Promise<VerifiedCallback> {
  const callback = request instanceof Request ? await fetchCallbackRequest(request) : request;
  const { signed, keyUrl } = await verifySignature(callback, resolverFor(options.trustedKeys));
  return { ...callbackUpload(callback, signed), keyUrl };
}

import { ConfigError, logLevelOf, wholeNumber, type Config } from '../config.js';
import { parseDatedPrefix } from '../oss/dated-prefix.js';
import { CallbackParamError, splitCallbackUrls } from '../protocol/callback-param.js';
import { standardRegion } from '../protocol/post-policy-v4.js';
import { parseTicketKeys, signingKey, type SigningKey } from './keys.js';

/**
 * The ticket function's configuration, read from the environment once per cold start. Every variable
 * is documented in the README ("Upload tickets"); a wrong one stops the start with its name.
 */
export type AuthConfig =
  /** Bearer JWTs from an identity provider, checked against its JWKS; issuer and audience are required. */
  | { mode: 'jwks'; jwksUrl: URL; issuer: string; audience: string }
  /** Bearer JWTs signed with a secret this function shares with whoever issues them (HS256/384/512). */
  | { mode: 'secret'; secret: Uint8Array; issuer?: string; audience?: string }
  /** Development only: the `x-dev-user` header names the user, no proof asked. */
  | { mode: 'dev' };

export interface TicketConfig {
  bucket: string;
  /** Standard region id, `cn-hangzhou`: part of the V4 signature. */
  region: string;
  /** Where browsers POST the form: the bucket's endpoint, a custom domain, or the simulator. */
  endpoint: string;
  /** The receiver's URL (up to five, `;`-separated), put in the callback parameter. */
  callbackUrl: string;
  signingKey: SigningKey;
  auth: AuthConfig;
  /** How long the signed form may be used. */
  ttlSeconds: number;
  /** How long after the form expires the callback may still come: a started upload may take long. */
  uploadWindowSeconds: number;
  /** The largest upload a ticket is issued for. */
  maxSize: number;
  /**
   * Every user's objects live under `<keyPrefix><user>/`. A dated prefix (`uploads/{yyyy}/{mm}/{dd}/`)
   * is the folder of the time the ticket is issued (UTC): the ticket and the policy bind that folder.
   */
  keyPrefix: string;
  /** Content types uploads may declare (`image/*` matches a family); null allows any. */
  contentTypes: readonly string[] | null;
  /** Browser origins allowed to call the function (`*` for any); none by default. */
  corsOrigins: readonly string[];
  logLevel: Config['logLevel'];
}

export const TICKET_DEFAULTS = { ttlSeconds: 600, uploadWindowSeconds: 3600, maxSize: 104_857_600, keyPrefix: 'uploads/' } as const;
/** PostObject takes at most 5 GB. */
const POST_OBJECT_MAX = 5 * 1024 ** 3;
const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(?:-[a-z0-9]+)+$/;
const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/;

function required(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is required: ${what}`);
  return value;
}

function httpUrl(value: string, name: string, allowHttp: (url: URL) => boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowHttp(url))) throw new ConfigError(`${name} must be an https URL, got ${JSON.stringify(value)}`);
  if (url.username || url.password) throw new ConfigError(`${name} must not carry credentials`);
  return url;
}

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Run a parser, turning its plain Error into a ConfigError that names the variable. */
function attempt<T>(label: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${label} ${(error as Error).message}`, { cause: error });
  }
}

function loadAuth(env: NodeJS.ProcessEnv): AuthConfig {
  const mode = required(env, 'OSS_TICKET_AUTH', 'how callers prove who they are: jwks, secret or dev');
  const issuer = env.OSS_TICKET_AUTH_ISSUER?.trim() || undefined;
  const audience = env.OSS_TICKET_AUTH_AUDIENCE?.trim() || undefined;
  switch (mode) {
    case 'jwks': {
      // An identity provider serves many applications: only tokens it issued for this one count.
      const jwksUrl = httpUrl(required(env, 'OSS_TICKET_AUTH_JWKS_URL', "the identity provider's JWKS URL"), 'OSS_TICKET_AUTH_JWKS_URL', isLoopback);
      return {
        mode,
        jwksUrl,
        issuer: required(env, 'OSS_TICKET_AUTH_ISSUER', 'the iss bearer tokens must carry'),
        audience: required(env, 'OSS_TICKET_AUTH_AUDIENCE', 'the aud bearer tokens must carry'),
      };
    }
    case 'secret': {
      const secret = Buffer.from(required(env, 'OSS_TICKET_AUTH_SECRET', 'the HMAC secret bearer tokens are signed with'), 'utf8');
      if (secret.length < 32) throw new ConfigError('OSS_TICKET_AUTH_SECRET must be at least 32 bytes');
      return { mode, secret: new Uint8Array(secret), ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) };
    }
    case 'dev':
      return { mode };
    default:
      throw new ConfigError(`OSS_TICKET_AUTH must be jwks, secret or dev, got ${JSON.stringify(mode)}`);
  }
}

function loadKeyPrefix(env: NodeJS.ProcessEnv): string {
  const prefix = env.OSS_TICKET_KEY_PREFIX ?? TICKET_DEFAULTS.keyPrefix;
  if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/') || Buffer.byteLength(prefix) > 256)) {
    throw new ConfigError(
      `OSS_TICKET_KEY_PREFIX must be empty or a folder such as uploads/ or uploads/{yyyy}/{mm}/{dd}/ (no leading /, at most 256 bytes), got ${JSON.stringify(prefix)}`,
    );
  }
  attempt('OSS_TICKET_KEY_PREFIX:', () => parseDatedPrefix(prefix));
  return prefix;
}

function loadCallbackUrl(env: NodeJS.ProcessEnv): string {
  const callbackUrl = required(env, 'OSS_CALLBACK_URL', "the receiver's public URL OSS calls back");
  let urls: string[] = [];
  try {
    urls = splitCallbackUrls(callbackUrl);
  } catch (error) {
    if (!(error instanceof CallbackParamError)) throw error;
  }
  if (urls.length === 0) throw new ConfigError(`OSS_CALLBACK_URL is not a callback URL OSS accepts, got ${JSON.stringify(callbackUrl)}`);
  return callbackUrl;
}

export function loadTicketConfig(env: NodeJS.ProcessEnv = process.env): TicketConfig {
  const bucket = required(env, 'OSS_BUCKET', 'the bucket uploads go to');
  if (!BUCKET.test(bucket)) throw new ConfigError(`OSS_BUCKET is not a bucket name (3-63 of a-z, 0-9 and -), got ${JSON.stringify(bucket)}`);
  const region = standardRegion(required(env, 'OSS_REGION', "the bucket's region, e.g. cn-hangzhou"));
  if (!REGION.test(region)) throw new ConfigError(`OSS_REGION must be a region id such as cn-hangzhou, got ${JSON.stringify(env.OSS_REGION)}`);
  const endpoint = env.OSS_ENDPOINT?.trim()
    ? httpUrl(env.OSS_ENDPOINT.trim(), 'OSS_ENDPOINT', () => true).href.replace(/\/$/, '')
    : `https://${bucket}.oss-${region}.aliyuncs.com`;
  const key = attempt('OSS_TICKET_KEY_ID:', () =>
    signingKey(
      attempt('OSS_TICKET_KEYS', () => parseTicketKeys(required(env, 'OSS_TICKET_KEYS', 'the keys tickets are signed with'))),
      env.OSS_TICKET_KEY_ID?.trim() || undefined,
    ),
  );
  const contentTypes = list(env, 'OSS_TICKET_CONTENT_TYPES').map((type) => type.toLowerCase());
  const badType = contentTypes.find((type) => !CONTENT_TYPE.test(type));
  if (badType) throw new ConfigError(`OSS_TICKET_CONTENT_TYPES must list types such as image/png or image/*, got ${JSON.stringify(badType)}`);
  const logLevel = logLevelOf(env);
  return {
    bucket,
    region,
    endpoint,
    callbackUrl: loadCallbackUrl(env),
    signingKey: key,
    auth: loadAuth(env),
    // A V4 form is good for at most 7 days; a ticket is meant for an upload about to start.
    ttlSeconds: wholeNumber(env, 'OSS_TICKET_TTL_SECONDS', TICKET_DEFAULTS.ttlSeconds, 30, 86_400),
    uploadWindowSeconds: wholeNumber(env, 'OSS_TICKET_UPLOAD_WINDOW_SECONDS', TICKET_DEFAULTS.uploadWindowSeconds, 0, 86_400),
    maxSize: wholeNumber(env, 'OSS_TICKET_MAX_SIZE', TICKET_DEFAULTS.maxSize, 1, POST_OBJECT_MAX),
    keyPrefix: loadKeyPrefix(env),
    contentTypes: contentTypes.length ? contentTypes : null,
    corsOrigins: list(env, 'OSS_TICKET_CORS_ORIGINS'),
    logLevel,
  };
}

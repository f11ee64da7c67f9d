import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { CallbackError } from '../errors.js';
import type { AuthConfig } from './config.js';

/** Who is asking for an upload: the authenticated subject, or a 401/503 refusal. */
export type Authenticate = (headers: Readonly<Record<string, string>>) => Promise<string>;

/** The development header; honoured only under `OSS_TICKET_AUTH=dev`. */
export const DEV_USER_HEADER = 'x-dev-user';
const DEV_USER = /^[A-Za-z0-9._@-]{1,64}$/;
/** The JWKS fetch must leave time to answer: a ticket request is interactive. */
const JWKS_TIMEOUT_MS = 3000;

const required = () => new CallbackError('AuthenticationRequired', 'sign in first: send Authorization: Bearer <token>');
const failed = (why: string) => new CallbackError('AuthenticationFailed', `the bearer token was not accepted: ${why}`);

function bearer(headers: Readonly<Record<string, string>>): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (!match) throw required();
  return match[1]!;
}

/** Check a bearer JWT; the message says what was wrong with it, never what it held. */
async function subjectOf(token: string, key: JWTVerifyGetKey | Uint8Array, options: JWTVerifyOptions, now: number): Promise<string> {
  try {
    const { payload } = await jwtVerify(token, key, { ...options, currentDate: new Date(now), requiredClaims: ['sub', 'exp'] });
    if (typeof payload.sub !== 'string' || !payload.sub) throw failed('it names no subject');
    return payload.sub;
  } catch (error) {
    if (error instanceof CallbackError) throw error;
    if (error instanceof errors.JWTExpired) throw failed('it has expired');
    if (error instanceof errors.JWTClaimValidationFailed) throw failed(`its ${error.claim} claim does not match`);
    if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
      throw new CallbackError('KeyUnavailable', "the identity provider's keys (JWKS) could not be fetched", { cause: error });
    }
    throw failed(error.code);
  }
}

/** One authenticator per warm instance: the JWKS is fetched once and cached by jose. */
export function authenticator(config: AuthConfig, now: () => number = Date.now): Authenticate {
  switch (config.mode) {
    case 'jwks': {
      const jwks = createRemoteJWKSet(config.jwksUrl, { timeoutDuration: JWKS_TIMEOUT_MS });
      // Identity providers sign with asymmetric keys; an HMAC alg would be a confused token.
      const options: JWTVerifyOptions = { issuer: config.issuer, audience: config.audience, algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] };
      return (headers) => subjectOf(bearer(headers), jwks, options, now());
    }
    case 'secret': {
      const options: JWTVerifyOptions = { algorithms: ['HS256', 'HS384', 'HS512'] };
      if (config.issuer) options.issuer = config.issuer;
      if (config.audience) options.audience = config.audience;
      return (headers) => subjectOf(bearer(headers), config.secret, options, now());
    }
    case 'dev':
      return async (headers) => {
        const user = headers[DEV_USER_HEADER]?.trim();
        if (!user) throw new CallbackError('AuthenticationRequired', `development sign-in: name the user in the ${DEV_USER_HEADER} header`);
        if (!DEV_USER.test(user)) throw new CallbackError('AuthenticationFailed', 'a development user name is 1-64 of A-Z a-z 0-9 . _ @ -');
        return user;
      };
  }
}

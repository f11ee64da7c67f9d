import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import { CallbackError } from '../errors.js';
import type { SigningKey, TicketKeys } from './keys.js';

/**
 * The upload ticket: a compact JWS (HS256, `kid` naming the key) the ticket function issues with each
 * upload form and OSS hands back in the callback as `x:ticket`. It binds who may upload what, where and
 * until when, so the receiver accepts only uploads the application itself allowed.
 */
export interface UploadTicket {
  /** The authenticated user the upload is for; recorded as the upload's `uploader`. */
  sub: string;
  /** Unique per ticket: one ticket records uploads of one object only. */
  jti: string;
  bucket: string;
  /** The object key must start with this (the user's prefix). */
  prefix: string;
  /** Largest object size allowed, in bytes. */
  maxSize: number;
  /** Epoch seconds; the callback must arrive before then. */
  exp: number;
  iat: number;
}

/** The JWS `typ`: a bearer token that happens to share a secret can never pass as a ticket. */
export const TICKET_TYPE = 'oss-upload-ticket+jwt';
/** Clocks of the issuer and the receiver may disagree by this much. */
export const CLOCK_TOLERANCE_SECONDS = 30;

export async function signTicket(ticket: UploadTicket, key: SigningKey): Promise<string> {
  const { sub, jti, exp, iat, bucket, prefix, maxSize } = ticket;
  return new SignJWT({ bucket, prefix, maxSize })
    .setProtectedHeader({ alg: 'HS256', typ: TICKET_TYPE, kid: key.id })
    .setSubject(sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.secret);
}

const invalid = (message: string) => new CallbackError('TicketInvalid', message);

/**
 * Check the ticket's signature (under the key its `kid` names), type and expiry, and the shape of its
 * claims. Messages name what failed, never the ticket.
 */
export async function verifyTicket(jws: string, keys: TicketKeys, now: number): Promise<UploadTicket> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      jws,
      ({ kid }) => {
        const secret = kid === undefined ? undefined : keys.get(kid);
        if (!secret) throw invalid('the upload ticket names a key this receiver does not have');
        return secret;
      },
      { algorithms: ['HS256'], typ: TICKET_TYPE, currentDate: new Date(now), clockTolerance: CLOCK_TOLERANCE_SECONDS, requiredClaims: ['sub', 'jti', 'exp', 'iat'] },
    ));
  } catch (error) {
    if (error instanceof CallbackError) throw error;
    if (error instanceof errors.JWTExpired) throw new CallbackError('TicketExpired', 'the upload ticket has expired');
    throw invalid(`the upload ticket is not valid (${error instanceof errors.JOSEError ? error.code : 'unreadable'})`);
  }
  const { sub, jti, exp, iat, bucket, prefix, maxSize } = payload;
  if (typeof sub !== 'string' || !sub || typeof jti !== 'string' || !jti || typeof exp !== 'number' || typeof iat !== 'number') {
    throw invalid('the upload ticket lacks its subject, id or times');
  }
  if (typeof bucket !== 'string' || typeof prefix !== 'string' || typeof maxSize !== 'number' || !Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw invalid('the upload ticket does not say which bucket, prefix and size it allows');
  }
  return { sub, jti, exp, iat, bucket, prefix, maxSize };
}

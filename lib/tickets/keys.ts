/**
 * Upload-ticket keys: HMAC-SHA256 secrets by key id, from `OSS_TICKET_KEYS`
 * (`{"<kid>": "<base64 or base64url secret, 32 bytes or more>"}`). The receiver accepts a ticket signed
 * with any of them; the ticket function signs with the one `OSS_TICKET_KEY_ID` names. Rotating is
 * adding a key, switching the issuer to it, and removing the old one once its tickets have expired.
 */
export type TicketKeys = ReadonlyMap<string, Uint8Array>;

export interface SigningKey {
  id: string;
  secret: Uint8Array;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** HS256 keys shorter than the hash are weak (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;

/** Parse the JSON map; throws an Error naming what is wrong, never echoing a secret. */
export function parseTicketKeys(json: string): TicketKeys {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('must be a JSON object of key id to base64 secret');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new Error('must be a JSON object with at least one key id and its base64 secret');
  }
  const keys = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(parsed)) {
    if (!KEY_ID.test(id)) throw new Error(`key id ${JSON.stringify(id)} must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (typeof value !== 'string' || !BASE64.test(value)) throw new Error(`the secret of key ${id} must be a base64 string`);
    const secret = Buffer.from(value, 'base64');
    if (secret.length < MIN_SECRET_BYTES) throw new Error(`the secret of key ${id} must decode to at least ${MIN_SECRET_BYTES} bytes`);
    keys.set(id, new Uint8Array(secret));
  }
  return keys;
}

/** The issuer's key: the one named, or the only one there is. */
export function signingKey(keys: TicketKeys, id: string | undefined): SigningKey {
  const chosen = id ?? (keys.size === 1 ? [...keys.keys()][0] : undefined);
  if (chosen === undefined) throw new Error(`name the key to sign with: one of ${[...keys.keys()].join(', ')}`);
  const secret = keys.get(chosen);
  if (!secret) throw new Error(`there is no key ${JSON.stringify(chosen)} in OSS_TICKET_KEYS`);
  return { id: chosen, secret };
}

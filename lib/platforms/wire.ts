/**
 * Byte-keeping helpers the serverless doors share: they move header maps and bodies between a
 * platform's JSON shapes and the `CallbackRequest`/`CallbackResponse` without re-encoding anything
 * OSS signs.
 */
import { RANGES } from '../config.js';

/**
 * The largest body any receiver accepts (the ceiling of OSS_CALLBACK_MAX_BODY). Doors that do not know
 * the configured limit read no more than this; the receiver then refuses by its own limit.
 */
export const LARGEST_BODY = RANGES.maxBodyBytes[1];

/** Header names in lower case; repeated values (an array) joined with `, ` as HTTP allows. */
export function lowerCaseHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const joined = typeof value === 'string' ? value : value.join(', ');
    out[key] = key in out ? `${out[key]}, ${joined}` : joined;
  }
  return out;
}

/** A JSON event's body as the bytes that arrived: base64 decoded when the platform encoded it. */
export function eventBody(body: string | null | undefined, isBase64Encoded: boolean | undefined): Buffer {
  if (!body) return Buffer.alloc(0);
  return Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8');
}

/**
 * An answer body as a JSON event carries it: plain text when the bytes are UTF-8 that survives the
 * round trip (every JSON answer), base64 otherwise, so the client gets exactly these bytes.
 */
export function resultBody(body: Buffer): { body: string; isBase64Encoded: boolean } {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body)
    ? { body: text, isBase64Encoded: false }
    : { body: body.toString('base64'), isBase64Encoded: true };
}

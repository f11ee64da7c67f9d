import { CallbackError } from '../errors.js';
import type { CallbackRequest, CallbackResponse } from '../exchange.js';
import { answering, type ReceiverInput } from './receiver-source.js';
import { splitTarget } from './request-target.js';
import { LARGEST_BODY } from './wire.js';

/**
 * The Fetch door: a WHATWG `Request` in, a `Response` out, for Hono, Next.js route handlers, Bun and
 * Deno. `request.url` is the whole URL, so no router prefix is lost, but it is the URL as the WHATWG
 * parser left it, not as OSS sent it. What that parser may change:
 * - dot segments are resolved (`/a/../b` → `/b`, `/a/./b` → `/a/b`, also `%2e%2e`);
 * - `\` is read as `/`;
 * - some characters are percent-encoded: in the path space, `"`, `<`, `>`, `` ` ``, `{`, `}` and
 *   non-ASCII (harmless: OSS signs the decoded path); in the query space, `"`, `'`, `<`, `>` and
 *   non-ASCII (not harmless: OSS signs the query as sent);
 * - `/cb?` with an empty query may reach a framework as `/cb`.
 * Callback URLs with a plain path and an ASCII query of names, values, `=` and `&` come through
 * unchanged. Only the query's escapes can show afterwards that the parser may have changed what OSS
 * signed (a path is signed decoded, so its escapes never matter; resolved dot segments and `\` leave
 * no trace), so a request says `urlNormalized`, and a `SignatureMismatch` names the parser as a
 * possible cause, only when its query holds one.
 */
const FETCH_ADVICE =
  "the callback's body was read before this handler (request.json(), text() or formData(), or a framework's body parsing) and " +
  'the raw bytes OSS signed are gone: hand the handler the untouched Request';

const tooLarge = () => new CallbackError('BodyTooLarge', `the body is larger than ${LARGEST_BODY} bytes (OSS_CALLBACK_MAX_BODY)`);

async function readCapped(request: Request): Promise<Buffer> {
  if (Number(request.headers.get('content-length')) > LARGEST_BODY) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    total += read.value.byteLength;
    if (total > LARGEST_BODY) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks, total);
}

/**
 * The escapes the WHATWG parser writes into a query for `"`, `'`, `<`, `>` and non-ASCII bytes, in
 * upper case as it writes them: OSS signed the query as it sent it, which may have been the character.
 */
const PARSER_QUERY_ESCAPE = /%(?:22|27|3C|3E|[89A-F][0-9A-F])/;

/** A request target as a Fetch `Request` carries it, once the WHATWG URL parser has read it. */
export function whatwgTarget(target: string): string {
  const url = new URL(target, 'http://host.invalid');
  return url.href.slice(url.origin.length);
}

export async function fetchCallbackRequest(request: Request): Promise<CallbackRequest> {
  const target = splitTarget(request.url);
  const urlNormalized = target.rawQuery !== null && PARSER_QUERY_ESCAPE.test(target.rawQuery);
  const parts = { method: request.method, ...target, headers: Object.fromEntries(request.headers), ...(urlNormalized && { urlNormalized }) };
  if (request.bodyUsed) return { ...parts, body: Buffer.alloc(0), bodyUnavailable: FETCH_ADVICE };
  return { ...parts, body: await readCapped(request) };
}

export function fetchResponse({ status, headers, body }: CallbackResponse): Response {
  return new Response(body, { status, headers });
}

/** `(request: Request) => Promise<Response>`: answers every request it is given, so route only the callback path to it. */
export function fetchHandler(receiver: ReceiverInput): (request: Request) => Promise<Response> {
  const answer = answering(receiver);
  return async (request) => fetchResponse(await answer(() => fetchCallbackRequest(request)));
}

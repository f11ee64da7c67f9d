import type { CallbackRequest, CallbackResponse } from '../exchange.js';
import { invocationOf } from './fc-context.js';
import type { Fc2Request, Fc2Response, Fc2StreamRequest, FcContext } from './fc2.types.js';
import { splitTarget } from './request-target.js';
import { rebuildQuery } from './query-rebuild.js';
import { receiverSource, type ReceiverInput } from './receiver-source.js';
import { LARGEST_BODY, lowerCaseHeaders } from './wire.js';

/**
 * The Function Compute 2.0 door (HTTP handler; shapes and sources in fc2.types.ts). `req.url` holds
 * the request target as sent, so the path and the raw query are taken from it untouched. Only when a
 * runtime leaves `url` out are `path` and `queries` used, with the query rebuilt and flagged.
 */
export function fc2Request(req: Fc2Request, body: Buffer): CallbackRequest {
  const request: CallbackRequest = {
    method: req.method ?? 'POST',
    ...(req.url ? splitTarget(req.url) : { rawPath: req.path ?? '/', rawQuery: rebuildQuery(req.queries) }),
    headers: lowerCaseHeaders(req.headers),
    body,
  };
  if (!req.url && request.rawQuery !== null) request.queryReconstructed = true;
  return request;
}

/** The answer as FC 2.0's `resp` takes it: status, headers, body bytes. */
export function fc2Result(response: CallbackResponse): { statusCode: number; headers: Record<string, string>; body: Buffer } {
  return { statusCode: response.status, headers: { ...response.headers }, body: response.body };
}

/**
 * Stop reading a streamed body one byte past the largest OSS_CALLBACK_MAX_BODY allows; the receiver
 * then refuses it by the configured limit without this door holding more.
 */
const STREAM_READ_LIMIT = LARGEST_BODY + 1;

export async function fc2Body(req: Fc2Request | Fc2StreamRequest): Promise<Buffer> {
  if (Buffer.isBuffer(req.body)) return req.body;
  if (!(Symbol.asyncIterator in req)) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    chunks.push(bytes);
    total += bytes.length;
    if (total >= STREAM_READ_LIMIT) break;
  }
  return Buffer.concat(chunks).subarray(0, STREAM_READ_LIMIT);
}

export function fc2Handler(input: ReceiverInput) {
  const receiverFor = receiverSource(input);
  return async (req: Fc2Request | Fc2StreamRequest, resp: Fc2Response, context: FcContext = {}): Promise<void> => {
    const { invocation, handleOptions } = invocationOf(context);
    const request = fc2Request(req, await fc2Body(req));
    const receiver = await receiverFor(invocation);
    const { statusCode, headers, body } = fc2Result(await receiver.handle(request, handleOptions()));
    resp.setStatusCode(statusCode);
    for (const [name, value] of Object.entries(headers)) resp.setHeader(name, value);
    resp.send(body);
  };
}

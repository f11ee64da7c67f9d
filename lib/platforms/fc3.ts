import type { CallbackRequest, CallbackResponse } from '../exchange.js';
import type { Fc3Event, Fc3Result, FcContext } from './fc3.types.js';
import { rebuildQuery } from './query-rebuild.js';
import { receiverSource, type ReceiverInput } from './receiver-source.js';
import { invocationOf } from './fc-context.js';
import { eventBody, lowerCaseHeaders, resultBody } from './wire.js';

/**
 * The Function Compute 3.0 door (event handler + HTTP trigger; shapes and sources in fc3.types.ts).
 * The path and body are kept as sent. The query is not: FC 3.0 hands over parsed parameters only, so
 * it is rebuilt and the request says so (`queryReconstructed`). Callback URLs meant for FC 3.0 should
 * carry their context in `x:` variables, not in a query.
 */
export function parseFc3Event(raw: Buffer | string | Fc3Event): Fc3Event {
  if (typeof raw !== 'string' && !Buffer.isBuffer(raw)) return raw;
  const event: unknown = JSON.parse(raw.toString('utf8'));
  if (typeof event !== 'object' || event === null || typeof (event as Fc3Event).rawPath !== 'string') {
    throw new TypeError('the FC 3.0 event has no rawPath: is this function invoked through its HTTP trigger?');
  }
  return event as Fc3Event;
}

export function fc3Request(event: Fc3Event): CallbackRequest {
  const rawQuery = rebuildQuery(event.queryParameters);
  const request: CallbackRequest = {
    method: event.requestContext?.http?.method ?? 'POST',
    rawPath: event.rawPath,
    rawQuery,
    headers: lowerCaseHeaders(event.headers),
    body: eventBody(event.body, event.isBase64Encoded),
  };
  if (rawQuery !== null) request.queryReconstructed = true;
  return request;
}

export function fc3Result(response: CallbackResponse): Fc3Result {
  return { statusCode: response.status, headers: { ...response.headers }, ...resultBody(response.body) };
}

export function fc3Handler(input: ReceiverInput) {
  const receiverFor = receiverSource(input);
  return async (event: Buffer | string | Fc3Event, context: FcContext = {}): Promise<Fc3Result> => {
    const { invocation, handleOptions } = invocationOf(context);
    const request = fc3Request(parseFc3Event(event));
    const receiver = await receiverFor(invocation);
    return fc3Result(await receiver.handle(request, handleOptions()));
  };
}

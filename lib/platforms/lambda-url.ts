import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { CallbackRequest, CallbackResponse } from '../exchange.js';
import { receiverSource, type ReceiverInput } from './receiver-source.js';
import { eventBody, lowerCaseHeaders, resultBody } from './wire.js';

/**
 * The AWS Lambda door: function URLs and API Gateway HTTP APIs, both payload format 2.0
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
 * `rawPath` and `rawQueryString` are the request target as sent, so nothing is rebuilt.
 */
export type LambdaUrlEvent = LambdaFunctionURLEvent;
export type LambdaUrlResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string };

/**
 * A payload 2.0 event has `requestContext.http`. A REST API (payload 1.0) event has neither it nor a
 * raw query string, only decoded parameters, so it cannot be verified and is refused by name.
 */
export function isPayloadV2(event: unknown): event is LambdaUrlEvent {
  const candidate = event as Partial<LambdaUrlEvent> | null;
  return typeof candidate?.rawPath === 'string' && typeof candidate.requestContext?.http?.method === 'string';
}

export function lambdaUrlRequest(event: LambdaUrlEvent): CallbackRequest {
  if (!isPayloadV2(event)) {
    throw new TypeError('the event is not payload format 2.0: use a function URL or an HTTP API, not a REST API (payload 1.0)');
  }
  const headers = lowerCaseHeaders(event.headers);
  // Payload 2.0 moves cookies out of the headers; put them back so the request is whole.
  if (event.cookies?.length) headers.cookie = event.cookies.join('; ');
  return {
    method: event.requestContext.http.method,
    rawPath: event.rawPath,
    // An empty rawQueryString cannot tell `/cb?` from `/cb`; OSS never sends a bare `?`.
    rawQuery: event.rawQueryString ? event.rawQueryString : null,
    headers,
    body: eventBody(event.body, event.isBase64Encoded),
  };
}

export function lambdaUrlResult(response: CallbackResponse): LambdaUrlResult {
  return { statusCode: response.status, headers: { ...response.headers }, ...resultBody(response.body) };
}

export function lambdaUrlHandler(input: ReceiverInput) {
  const receiverFor = receiverSource(input);
  return async (event: LambdaUrlEvent, context: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>): Promise<LambdaUrlResult> => {
    const receiver = await receiverFor();
    const response = await receiver.handle(lambdaUrlRequest(event), {
      remainingMs: context.getRemainingTimeInMillis(),
      requestId: context.awsRequestId,
    });
    return lambdaUrlResult(response);
  };
}

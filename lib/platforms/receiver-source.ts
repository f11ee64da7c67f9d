import { CallbackError } from '../errors.js';
import { refusalResponse, type CallbackRequest, type CallbackResponse, type InvocationContext, type Receiver } from '../exchange.js';
import { unavailableReceiver } from '../warm-instance.js';
import { notStarted } from '../when-awaited.js';

/**
 * Where a serverless door gets its receiver on each invocation: `callbackInstance` in production
 * (built once per warm instance), a fixed receiver in tests. FC doors pass the invocation's STS
 * credentials so the store can follow their rotation.
 */
export type ReceiverSource = (context?: InvocationContext) => Promise<Receiver>;

/**
 * What every door accepts: a receiver, the promise `createReceiver` returns (so an app can mount a
 * door without awaiting it, in CommonJS too), or a ReceiverSource.
 */
export type ReceiverInput = Receiver | Promise<Receiver> | ReceiverSource;

export function receiverSource(input: ReceiverInput): ReceiverSource {
  if (typeof input === 'function') return input;
  let ready: Promise<Receiver> | undefined;
  const start = () => (ready ??= Promise.resolve(input).catch((error: unknown) => unavailableReceiver('the receiver', error)));
  // `createReceiver`'s promise starts when first waited for: on the first request, never while a
  // bundler evaluates the module that mounts the door. Any other promise is already under way and
  // is caught at once: a receiver that fails to start must not crash the app as an unhandled rejection.
  if (!notStarted(input)) start();
  return start;
}

/**
 * What the framework doors do with each request: read it (a refusal while reading, such as
 * BodyTooLarge, is the answer), then hand it to the receiver. Other failures (the client went away)
 * are the door's to handle.
 */
export function answering(input: ReceiverInput): (read: () => Promise<CallbackRequest>) => Promise<CallbackResponse> {
  const receiverFor = receiverSource(input);
  return async (read) => {
    let request: CallbackRequest;
    try {
      request = await read();
    } catch (error) {
      if (error instanceof CallbackError) return refusalResponse(error);
      throw error;
    }
    return (await receiverFor()).handle(request);
  };
}

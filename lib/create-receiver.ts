import type { AnswerFunction } from './answer.js';
import { buildReceiver } from './build-receiver.js';
import type { Receiver } from './exchange.js';
import { receiverConfig, type ConfigOptions } from './receiver-options.js';
import { EVERY_STORE } from './store/open-store.js';
import type { UploadStore } from './store/port.js';
import { whenAwaited } from './when-awaited.js';

export interface ReceiverOptions extends ConfigOptions {
  /**
   * Fields to add to the JSON OSS relays to the uploader, built from the stored record:
   * `{"Status":"OK","record":{…},...yourFields}`. Runs within the callback's deadline; if it throws
   * the answer is `500 AnswerFailed` (the record is kept).
   */
  answer?: AnswerFunction;
}

/** A receiver built by `createReceiver`: give it to a door (`nodeHandler`, `koaHandler`, `fetchHandler`, …). */
export interface CallbackReceiver extends Receiver {
  /** The store records go to: list them, or read one by id. */
  readonly store: UploadStore;
  /** Closes the store when the receiver opened it from a URI; a store passed in is left to its owner. */
  close(): Promise<void>;
}

/**
 * The callback receiver: verify the OSS signature, parse the body, check the upload ticket (when
 * configured), record the upload once and answer, within the deadline. Options given in code win;
 * the rest comes from the environment as the deployed function reads it.
 *
 * Nothing happens until the promise is first waited for: a door given it waits on the first request,
 * so a module that mounts `fetchHandler(createReceiver())` reads no file and opens no store while a
 * bundler evaluates it (`next build`).
 */
export function createReceiver(options: ReceiverOptions = {}): Promise<CallbackReceiver> {
  return whenAwaited(() => startReceiver(options));
}

async function startReceiver(options: ReceiverOptions): Promise<CallbackReceiver> {
  const config = receiverConfig(options);
  const given = typeof options.store === 'object' ? options.store : undefined;
  const { receiver, store } = await buildReceiver(config, { stores: EVERY_STORE, store: given, logger: options.logger, answer: options.answer });
  return {
    handle: (request, handleOptions) => receiver.handle(request, handleOptions),
    store,
    close: async () => {
      if (!given) await store.close();
    },
  };
}

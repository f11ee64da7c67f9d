import { aliyunCredentialsFromEnv, type AliyunCredentials } from './credentials.js';
import { CallbackError } from './errors.js';
import { refusalResponse, type CallbackResponse, type InvocationContext, type Receiver } from './exchange.js';
import { jsonLogger } from './logger.js';

/** A receiver that could not be built answers every request 500 Misconfigured; the log says why, once. */
export function unavailableReceiver(what: string, error: unknown, refuse: (failure: CallbackError) => CallbackResponse = refusalResponse): Receiver {
  const failure = new CallbackError('Misconfigured', `${what} could not start: ${(error as Error)?.message ?? error}`);
  jsonLogger().log('error', 'startup failed', { code: failure.code, error: failure.message });
  return { handle: async () => refuse(failure) };
}

/**
 * One receiver per warm instance of a function: built on the first invocation and reused. The latest
 * invocation's credentials (Function Compute's rotating STS credentials) are what `build` is given,
 * so a store client is rebuilt only when they change (the store decides, by comparing). A build that
 * fails answers that invocation with `Misconfigured` and is tried again on the next one.
 */
export function warmInstance(
  what: string,
  build: (credentials: () => AliyunCredentials | undefined) => Promise<Receiver>,
  refuse: (failure: CallbackError) => CallbackResponse = refusalResponse,
): { receiver: (context?: InvocationContext) => Promise<Receiver>; reset: () => void } {
  let instance: Promise<Receiver> | undefined;
  let latestCredentials: AliyunCredentials | undefined;
  const credentials = () => latestCredentials ?? aliyunCredentialsFromEnv();
  return {
    receiver(context = {}) {
      if (context.aliyunCredentials) latestCredentials = context.aliyunCredentials;
      instance ??= build(credentials).catch((error: unknown) => {
        instance = undefined;
        return unavailableReceiver(what, error, refuse);
      });
      return instance;
    },
    reset() {
      instance = undefined;
      latestCredentials = undefined;
    },
  };
}

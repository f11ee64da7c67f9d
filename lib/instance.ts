import { loadConfig } from './config.js';
import { aliyunCredentialsFromEnv, type AliyunCredentials } from './credentials.js';
import { CallbackError } from './errors.js';
import { refusalResponse } from './exchange.js';
import { jsonLogger } from './logger.js';
import { KeyResolver } from './protocol/verify.js';
import { createReceiver, type Receiver } from './receiver.js';
import { openStore } from './store/open-store.js';

export interface InvocationContext {
  /** Function Compute hands STS credentials to every invocation; they rotate. */
  aliyunCredentials?: AliyunCredentials;
}

/**
 * One receiver per warm instance: configuration, store client and key cache are built on the first
 * invocation and reused. Credentials from the latest invocation are what the store sees, so a store
 * client is rebuilt only when they change (the store decides, by comparing).
 */
let instance: Promise<Receiver> | undefined;
let latestCredentials: AliyunCredentials | undefined;

export function instanceReceiver(context: InvocationContext = {}): Promise<Receiver> {
  if (context.aliyunCredentials) latestCredentials = context.aliyunCredentials;
  instance ??= buildReceiver().catch((error: unknown) => {
    // Let the next invocation try again (a store may be briefly unreachable), and answer this one.
    instance = undefined;
    return misconfigured(error);
  });
  return instance;
}

async function buildReceiver(env: NodeJS.ProcessEnv = process.env): Promise<Receiver> {
  const config = loadConfig(env);
  const store = await openStore(config.store, { aliyunCredentials: () => latestCredentials ?? aliyunCredentialsFromEnv(env) });
  const keys = new KeyResolver(config.pinnedKeys);
  return createReceiver({ config, store, keys, logger: jsonLogger(config.logLevel) });
}

function misconfigured(error: unknown): Receiver {
  const refusal = new CallbackError('Misconfigured', `the function could not start: ${(error as Error).message}`);
  jsonLogger().log('error', 'startup failed', { code: refusal.code, error: refusal.message });
  return { handle: async () => refusalResponse(refusal) };
}

/** For tests: forget the warm instance, as a cold start would. */
export function resetInstance(): void {
  instance = undefined;
  latestCredentials = undefined;
}

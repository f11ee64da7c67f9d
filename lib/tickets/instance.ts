import { aliyunCredentialsFromEnv, type AliyunCredentials } from '../credentials.js';
import { CallbackError } from '../errors.js';
import type { InvocationContext } from '../instance.js';
import { jsonLogger } from '../logger.js';
import type { Receiver } from '../receiver.js';
import { loadTicketConfig } from './config.js';
import { createTicketService, refusal } from './service.js';

/**
 * One ticket service per warm instance: configuration and the authenticator (with its JWKS cache) are
 * built on the first invocation. Function Compute's STS credentials rotate, so each invocation's are
 * kept and the next ticket is signed with them; elsewhere they come from the environment.
 */
let instance: Receiver | undefined;
let latestCredentials: AliyunCredentials | undefined;

export async function ticketInstance(context: InvocationContext = {}): Promise<Receiver> {
  if (context.aliyunCredentials) latestCredentials = context.aliyunCredentials;
  if (instance) return instance;
  try {
    instance = createTicketService({ config: loadTicketConfig(), credentials: () => latestCredentials ?? aliyunCredentialsFromEnv() });
    return instance;
  } catch (error) {
    // Answer this invocation with the reason and let the next one read the environment again.
    const failure = new CallbackError('Misconfigured', `the ticket function could not start: ${(error as Error).message}`);
    jsonLogger().log('error', 'startup failed', { code: failure.code, error: failure.message });
    return { handle: async () => refusal(failure) };
  }
}

/** For tests: forget the warm instance, as a cold start would. */
export function resetTicketInstance(): void {
  instance = undefined;
  latestCredentials = undefined;
}

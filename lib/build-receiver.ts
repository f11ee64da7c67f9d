import type { AnswerFunction } from './answer.js';
import { ConfigError, type Config } from './config.js';
import type { AliyunCredentials } from './credentials.js';
import type { Receiver } from './exchange.js';
import { callbackLineMembers } from './callback-metrics.js';
import { jsonLoggerWith, type Logger } from './logger.js';
import { KeyResolver } from './protocol/verify.js';
import { createPipeline } from './receiver.js';
import type { AuthorizeStep, ConfirmStep } from './steps.js';
import type { UploadStore } from './store/port.js';
import { openStoreWith, type StoreOpeners } from './store/store-uri.js';

export interface BuildOptions {
  /** The stores `config.store` may name: every one locally, the platform's own in a function bundle. */
  stores: StoreOpeners;
  /** A store already open (the local server opens, creates and checks its own); otherwise `config.store` is opened. */
  store?: UploadStore;
  logger?: Logger;
  /** Tablestore on Function Compute signs with the latest invocation's STS credentials. */
  aliyunCredentials?: () => AliyunCredentials | undefined;
  /** The application's fields in the 200 answer (the library's `answer` option). */
  answer?: AnswerFunction;
}

export interface BuiltReceiver {
  receiver: Receiver;
  store: UploadStore;
  logger: Logger;
}

/**
 * The one place a receiver is put together from its configuration: the store, the key resolver, the
 * logger and the optional steps. Used by the serverless instance and the local server alike.
 */
export async function buildReceiver(config: Config, options: BuildOptions): Promise<BuiltReceiver> {
  const logger = options.logger ?? jsonLoggerWith(config.logLevel, undefined, callbackLineMembers(config.platformFunction));
  const authorize = await ticketStep(config.tickets);
  const confirm = await confirmStep(config.confirm, options.aliyunCredentials);
  const store = options.store ?? (await openStoreWith(options.stores, config.store, { aliyunCredentials: options.aliyunCredentials }));
  const keys = new KeyResolver(config.pinnedKeys);
  const receiver = createPipeline({ limits: config, store, keys, logger, authorize, confirm, answer: options.answer });
  return { receiver, store, logger };
}

/** jose and the ticket code load only where tickets are configured, keeping them out of every other cold start. */
async function ticketStep(tickets: Config['tickets']): Promise<AuthorizeStep | undefined> {
  if (!tickets) return undefined;
  const [{ parseTicketKeys }, { ticketAuthorizer }] = await Promise.all([import('./tickets/keys.js'), import('./tickets/authorize.js')]);
  try {
    return ticketAuthorizer({ keys: parseTicketKeys(tickets.keysJson), required: tickets.required });
  } catch (error) {
    throw new ConfigError(`OSS_TICKET_KEYS ${(error as Error).message}`, { cause: error });
  }
}

/** The OSS reader loads only in confirm mode, keeping it out of every other cold start. */
async function confirmStep(settings: Config['confirm'], aliyunCredentials: BuildOptions['aliyunCredentials']): Promise<ConfirmStep | undefined> {
  if (!settings) return undefined;
  return (await import('./confirm/confirm-step.js')).confirmStep(settings, aliyunCredentials);
}

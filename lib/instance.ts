import { buildReceiver } from './build-receiver.js';
import { loadConfig } from './config.js';
import type { ReceiverSource } from './platforms/receiver-source.js';
import type { StoreOpeners } from './store/store-uri.js';
import { warmInstance } from './warm-instance.js';

const instances: { reset(): void }[] = [];

/**
 * The deployed callback function's receiver, built once per warm instance from the environment.
 * `stores` are the ones its platform's bundle carries: UPLOAD_STORE picks among them, and naming any
 * other answers `Misconfigured` with the store's name.
 */
export function callbackInstance(stores: StoreOpeners): ReceiverSource {
  const instance = warmInstance('the function', async (aliyunCredentials) => (await buildReceiver(loadConfig(), { stores, aliyunCredentials })).receiver);
  instances.push(instance);
  return instance.receiver;
}

/** For tests: forget every warm instance, as a cold start would. */
export function resetInstance(): void {
  for (const instance of instances) instance.reset();
}

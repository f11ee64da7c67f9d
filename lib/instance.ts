import { buildReceiver } from './build-receiver.js';
import { loadConfig } from './config.js';
import { warmInstance } from './warm-instance.js';

const callback = warmInstance('the function', async (aliyunCredentials) => (await buildReceiver(loadConfig(), { aliyunCredentials })).receiver);

/** The deployed callback function's receiver for this invocation. */
export const instanceReceiver = callback.receiver;

/** For tests: forget the warm instance, as a cold start would. */
export const resetInstance = callback.reset;

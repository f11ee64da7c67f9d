import type { InvocationContext } from '../exchange.js';
import type { HandleOptions } from '../exchange.js';
import type { FcContext } from './fc3.types.js';

/**
 * What both Function Compute doors take from the invocation context: the role's STS credentials
 * (they rotate, so they are read on every invocation) and the time left. FC has no remaining-time
 * call, so it is counted from the moment the handler was entered against `function.timeout`.
 */
export function invocationOf(context: FcContext): { invocation: InvocationContext; handleOptions: () => HandleOptions } {
  const enteredAt = Date.now();
  const { accessKeyId, accessKeySecret, securityToken } = context.credentials ?? {};
  const invocation: InvocationContext =
    accessKeyId && accessKeySecret
      ? { aliyunCredentials: securityToken ? { accessKeyId, accessKeySecret, securityToken } : { accessKeyId, accessKeySecret } }
      : {};
  const timeoutSeconds = context.function?.timeout;
  return {
    invocation,
    handleOptions: () => {
      const options: HandleOptions = {};
      if (timeoutSeconds) options.remainingMs = timeoutSeconds * 1000 - (Date.now() - enteredAt);
      if (context.requestId) options.requestId = context.requestId;
      return options;
    },
  };
}

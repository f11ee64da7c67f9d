import type { InvocationContext } from '../exchange.js';
import type { Receiver } from '../exchange.js';

/**
 * Where a serverless door gets its receiver on each invocation: `callbackInstance` in production
 * (built once per warm instance), a fixed receiver in tests. FC doors pass the invocation's STS
 * credentials so the store can follow their rotation.
 */
export type ReceiverSource = (context?: InvocationContext) => Promise<Receiver>;

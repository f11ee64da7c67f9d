import type { Context, ScheduledEvent } from 'aws-lambda';
import { invocationOf } from '../platforms/fc-context.js';
import type { FcContext } from '../platforms/fc3.types.js';
import type { ReconcileFunction } from './function.js';
import { isOssEventDocument } from './oss-event.js';

/**
 * The reconcile function's doors. On Lambda, an EventBridge schedule (serverless.yml `schedule`)
 * sends a Scheduled Event. On Function Compute one function takes two triggers (s.yaml): the timer
 * trigger's `{triggerTime, triggerName, payload}` and the OSS trigger's `{events: [...]}`, each as a
 * Buffer of JSON (https://www.alibabacloud.com/help/en/functioncompute/fc/formats-of-event-for-different-triggers-1).
 */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  const candidate = event as Partial<ScheduledEvent> | null;
  return candidate?.source === 'aws.events' && candidate['detail-type'] === 'Scheduled Event';
}

export interface FcTimerEvent {
  triggerTime: string;
  triggerName?: string;
  payload?: string;
}

export function isFcTimerEvent(event: unknown): event is FcTimerEvent {
  return typeof (event as Partial<FcTimerEvent> | null)?.triggerTime === 'string';
}

export function lambdaReconcile(reconciler: ReconcileFunction) {
  return async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
    if (!isScheduledEvent(event)) throw new TypeError('the reconcile function runs on an EventBridge schedule; this event is not a Scheduled Event');
    return reconciler.runScheduled({ remainingMs: context.getRemainingTimeInMillis() });
  };
}

export function fc3Reconcile(reconciler: ReconcileFunction) {
  return async (raw: Buffer | string | object, context: FcContext = {}) => {
    const event: unknown = typeof raw === 'string' || Buffer.isBuffer(raw) ? JSON.parse(raw.toString('utf8')) : raw;
    const { invocation, handleOptions } = invocationOf(context);
    const { remainingMs } = handleOptions();
    const run = { ...invocation, ...(remainingMs === undefined ? {} : { remainingMs }) };
    if (isOssEventDocument(event)) return reconciler.recordEvents(event, run);
    if (isFcTimerEvent(event)) return reconciler.runScheduled(run);
    throw new TypeError('the reconcile function takes a timer trigger event ({triggerTime}) or an OSS trigger event ({events}); this is neither');
  };
}

import type { LineMembers, LogFields } from './logger.js';

/**
 * Callbacks as numbers without an agent. Every callback's log line carries its answer's `status`,
 * `code` (`OK` for a 200) and duration `ms`. Where a platform runs the receiver the line also names
 * the function; on AWS Lambda it is then an Embedded Metric Format document as well, so CloudWatch
 * Logs extracts the metric `ms` (Milliseconds) in the namespace below with the dimensions function,
 * httpStatus and code, and shows callbacks by code (the metric's SampleCount) and their durations with no
 * setup. Specification:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * Elsewhere (Function Compute's log service, a server's stdout) the same fields stay plain JSON.
 */
export const METRICS_NAMESPACE = 'OssUploadCallback';

export interface PlatformFunction {
  platform: 'lambda' | 'fc';
  name: string;
}

/** The function this process runs as, from the variables each platform sets for it (never configured by hand). */
export function platformFunction(env: NodeJS.ProcessEnv): PlatformFunction | null {
  if (env.AWS_LAMBDA_FUNCTION_NAME) return { platform: 'lambda', name: env.AWS_LAMBDA_FUNCTION_NAME };
  if (env.FC_FUNCTION_NAME) return { platform: 'fc', name: env.FC_FUNCTION_NAME };
  return null;
}

/** What a callback line gets beside its fields where `fn` runs it; undefined where no platform does. */
export function callbackLineMembers(fn: PlatformFunction | null): LineMembers | undefined {
  if (!fn) return undefined;
  return (message, fields, time) => {
    if (message !== 'callback') return undefined;
    if (fn.platform === 'fc' || !isMeasured(fields)) return { function: fn.name };
    return {
      function: fn.name,
      // A dimension's value must be a string; `status` stays the number every other platform logs.
      httpStatus: String(fields.status),
      _aws: {
        Timestamp: time.getTime(),
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['function', 'httpStatus', 'code']], Metrics: [{ Name: 'ms', Unit: 'Milliseconds' }] }],
      },
    };
  };
}

/** A line the receiver finished: its metric and dimensions are there, of the types EMF needs. */
function isMeasured(fields: LogFields): fields is LogFields & { status: number; code: string; ms: number } {
  return typeof fields.status === 'number' && typeof fields.code === 'string' && fields.code !== '' && typeof fields.ms === 'number';
}

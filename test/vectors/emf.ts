import { Ajv } from 'ajv';

/**
 * CloudWatch Embedded Metric Format: the rules of the published specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html,
 * "Embedded metric format document structure" and the JSON schema it publishes), as a JSON Schema
 * for the document's shape and code for the rules that join `_aws` to the root's members.
 */
const NAME = { type: 'string', minLength: 1, maxLength: 255 };
/** The units a MetricDatum takes (CloudWatch API reference, MetricDatum.Unit). */
const UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits',
  'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
];

const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      properties: {
        Timestamp: { type: 'integer' },
        CloudWatchMetrics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            properties: {
              Namespace: NAME,
              Dimensions: { type: 'array', minItems: 1, items: { type: 'array', minItems: 0, maxItems: 9, items: NAME } },
              Metrics: { type: 'array', maxItems: 100, items: { type: 'object', required: ['Name'], properties: { Name: NAME, Unit: { enum: UNITS } } } },
            },
          },
        },
      },
    },
  },
};

const validShape = new Ajv({ allErrors: true }).compile(EMF_SCHEMA);

/** Every rule a line breaks; none for a valid EMF document. */
export function emfViolations(line: string): string[] {
  let document: Record<string, unknown>;
  try {
    // The log event must be one JSON object with nothing before or after it.
    document = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return ['not one JSON object'];
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return ['not one JSON object'];
  if (Buffer.byteLength(line) > 256 * 1024) return ['larger than a CloudWatch Logs event (256 KB)'];
  if (!validShape(document)) return (validShape.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
  const violations: string[] = [];
  const directives = (document._aws as { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics;
  for (const { Dimensions, Metrics } of directives) {
    // Targets are root members, never nested: a dimension's is a string, a metric's a number or up to 100 numbers.
    for (const name of Dimensions.flat()) {
      const value = document[name];
      if (typeof value !== 'string') violations.push(`dimension ${name} has no string member on the root`);
      // CloudWatch's Dimension: ASCII, no control characters, at least one character that is not a space, at most 1024.
      else if (!/^[\x20-\x7e]{1,1024}$/.test(value) || value.trim() === '') violations.push(`dimension ${name} has a value CloudWatch refuses`);
    }
    for (const { Name } of Metrics) {
      const value = document[Name];
      const numeric = typeof value === 'number' || (Array.isArray(value) && value.length <= 100 && value.every((each) => typeof each === 'number'));
      if (!numeric) violations.push(`metric ${Name} has no numeric member on the root`);
    }
  }
  return violations;
}

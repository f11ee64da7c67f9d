import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRICS_NAMESPACE, callbackLineMembers } from '../../lib/callback-metrics.js';
import { createReceiver } from '../../lib/create-receiver.js';
import { jsonLoggerWith } from '../../lib/logger.js';
import { MemoryStore } from '../../lib/store/memory.js';
import { emfViolations } from '../vectors/emf.js';
import { signRequest, testKey } from '../support/keys.js';

const trustedKeys = { [testKey.keyUrl]: testKey.publicPem };
const FUNCTION = 'oss-upload-callback-prod-callback';

/** The lines a receiver built from `env` writes to stdout (its default logger) for each request. */
async function linesFor(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  const receiver = await createReceiver({ store: new MemoryStore(), trustedKeys, env });
  await receiver.handle(signRequest({ body: 'bucket=photos&object=a.jpg&etag=E1' }));
  await receiver.handle({ ...signRequest({ body: 'bucket=photos&object=b.jpg' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  await receiver.handle(signRequest({ body: 'object=c.jpg' }));
  await receiver.close();
  vi.restoreAllMocks();
  expect(written.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('callback lines as metrics', () => {
  it('on Lambda, makes each callback line an EMF document: ms by function, status and code', async () => {
    const lines = await linesFor({ AWS_LAMBDA_FUNCTION_NAME: FUNCTION });
    expect(lines.map((line) => [line.status, line.code])).toEqual([
      [200, 'OK'],
      [401, 'MissingSignature'],
      [400, 'MissingField'],
    ]);
    for (const line of lines) {
      expect(emfViolations(JSON.stringify(line))).toEqual([]);
      expect(line).toMatchObject({ message: 'callback', function: FUNCTION, httpStatus: String(line.status), ms: expect.any(Number) });
      expect(line._aws).toEqual({
        Timestamp: Date.parse(line.time as string),
        CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['function', 'httpStatus', 'code']], Metrics: [{ Name: 'ms', Unit: 'Milliseconds' }] }],
      });
    }
  });

  it('elsewhere keeps the same fields as plain JSON: the function on Function Compute, none on a server', async () => {
    const fc = await linesFor({ FC_FUNCTION_NAME: 'callback' });
    expect(fc.map((line) => ({ function: line.function, status: line.status, code: line.code, metrics: '_aws' in line }))).toEqual([
      { function: 'callback', status: 200, code: 'OK', metrics: false },
      { function: 'callback', status: 401, code: 'MissingSignature', metrics: false },
      { function: 'callback', status: 400, code: 'MissingField', metrics: false },
    ]);
    const plain = await linesFor({});
    expect(plain.map((line) => [line.code, 'function' in line, '_aws' in line, typeof line.ms])).toEqual([
      ['OK', false, false, 'number'],
      ['MissingSignature', false, false, 'number'],
      ['MissingField', false, false, 'number'],
    ]);
  });

  it('adds nothing to other lines, and no metric to a callback line without its numbers', () => {
    const lines: string[] = [];
    const logger = jsonLoggerWith('info', (line) => void lines.push(line), callbackLineMembers({ platform: 'lambda', name: FUNCTION }));
    logger.log('info', 'startup failed', { code: 'Misconfigured' });
    logger.log('info', 'callback', { status: 200 });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { time: expect.any(String), level: 'info', message: 'startup failed', code: 'Misconfigured' },
      { time: expect.any(String), level: 'info', message: 'callback', status: 200, function: FUNCTION },
    ]);
  });
});

describe('the EMF rules the lines are held to', () => {
  const valid = {
    _aws: { Timestamp: 1_764_000_000_000, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['function', 'code']], Metrics: [{ Name: 'ms', Unit: 'Milliseconds' }] }] },
    function: 'f',
    code: 'OK',
    ms: 3,
  };
  const violations = (document: unknown) => emfViolations(JSON.stringify(document));

  it('accepts a valid document and refuses each broken rule', () => {
    expect(violations(valid)).toEqual([]);
    expect(emfViolations(`prefix ${JSON.stringify(valid)}`)).toEqual(['not one JSON object']);
    expect(violations({ ...valid, _aws: { CloudWatchMetrics: valid._aws.CloudWatchMetrics } })).toEqual(["/_aws must have required property 'Timestamp'"]);
    expect(violations({ ...valid, _aws: { ...valid._aws, Timestamp: '2026-11-24' } })).toEqual(['/_aws/Timestamp must be integer']);
    const directive = valid._aws.CloudWatchMetrics[0]!;
    const withDirective = (change: object) => ({ ...valid, _aws: { ...valid._aws, CloudWatchMetrics: [{ ...directive, ...change }] } });
    expect(violations(withDirective({ Dimensions: [] }))).toEqual(['/_aws/CloudWatchMetrics/0/Dimensions must NOT have fewer than 1 items']);
    expect(violations(withDirective({ Dimensions: [Array.from({ length: 10 }, (_, i) => `d${i}`)] }))).toEqual(['/_aws/CloudWatchMetrics/0/Dimensions/0 must NOT have more than 9 items']);
    expect(violations(withDirective({ Metrics: [{ Name: 'ms', Unit: 'ms' }] }))).toEqual(['/_aws/CloudWatchMetrics/0/Metrics/0/Unit must be equal to one of the allowed values']);
    // A status as a number cannot be a dimension; a metric must be a number on the root, not nested.
    expect(violations({ ...withDirective({ Dimensions: [['status']] }), status: 200 })).toEqual(['dimension status has no string member on the root']);
    expect(violations({ ...valid, code: '' })).toEqual(['dimension code has a value CloudWatch refuses']);
    expect(violations({ ...valid, ms: '3' })).toEqual(['metric ms has no numeric member on the root']);
    expect(violations({ ...valid, ms: undefined, timing: { ms: 3 } })).toEqual(['metric ms has no numeric member on the root']);
  });
});

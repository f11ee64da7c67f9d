import type { CallbackRequest } from '../lib/exchange.js';
import type { SentAnswer } from './send-request.js';

/** OSS waits this long for the answer, then tells the uploader 203 CallbackFailed. */
const OSS_WAIT_MS = 5000;

/** One request to the deployed receiver and the answer the contract asks of it. */
export interface Probe {
  title: string;
  request: CallbackRequest;
  status: number;
  /** The JSON answer expected, as the report says it, and the test of an answer against it. */
  expected: string;
  matches: (answer: Record<string, unknown>) => boolean;
}

/** How a request reaches the receiver: over HTTP, or through the Function Compute API. */
export type Transport = (request: CallbackRequest) => Promise<SentAnswer>;

/**
 * What OSS needs of a receiver, asked three ways: the signed sample callback is recorded (200 with
 * its record), the same callback unsigned is refused (401 MissingSignature), and GET /healthz
 * answers 200.
 */
export function contractProbes(signed: CallbackRequest, reqId: string): Probe[] {
  const { authorization: _signature, 'x-oss-pub-key-url': _keyUrl, ...unsignedHeaders } = signed.headers;
  return [
    {
      title: `signed callback: ${signed.method} ${target(signed)}`,
      request: signed,
      status: 200,
      expected: `{"Status":"OK"} with the record of this upload (reqId ${reqId})`,
      matches: (answer) => answer.Status === 'OK' && (answer.record as { reqId?: unknown } | undefined)?.reqId === reqId,
    },
    {
      title: `unsigned callback: ${signed.method} ${target(signed)} without authorization`,
      request: { ...signed, headers: unsignedHeaders },
      status: 401,
      expected: '{"Status":"Error","code":"MissingSignature"}',
      matches: (answer) => answer.Status === 'Error' && answer.code === 'MissingSignature',
    },
    {
      title: 'health: GET /healthz',
      request: { method: 'GET', rawPath: '/healthz', rawQuery: null, headers: { host: signed.headers.host ?? '' }, body: Buffer.alloc(0) },
      status: 200,
      expected: '{"Status":"OK"}',
      matches: (answer) => answer.Status === 'OK',
    },
  ];
}

function target(request: CallbackRequest): string {
  return request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
}

export interface Check {
  ok: boolean;
  text: string;
}

/** The answer against the contract: its status, a JSON body, a Content-Length that is the body's, in time. */
export function checkAnswer(probe: Probe, answer: SentAnswer, ms: number): Check[] {
  const header = (name: string) => [answer.headers[name]].flat()[0];
  const document = jsonObject(answer.body);
  return [statusCheck(probe, answer.status, document), jsonCheck(probe, header('content-type'), answer.body, document), lengthCheck(header('content-length'), answer.body), timeCheck(ms)];
}

function jsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function statusCheck(probe: Probe, status: number, document: Record<string, unknown> | undefined): Check {
  if (status === probe.status) return { ok: true, text: `status ${status}` };
  // A refusal names its code and why: often the whole diagnosis (UntrustedKeyUrl, TicketMissing).
  const refusal = document?.code === undefined ? '' : `: ${String(document.code)}: ${String(document.message ?? '')}`;
  return { ok: false, text: `status ${status}${refusal} (expected ${probe.status})` };
}

function jsonCheck(probe: Probe, contentType: string | undefined, body: Buffer, document: Record<string, unknown> | undefined): Check {
  if (!document || !/^application\/json\b/i.test(contentType ?? '')) {
    return { ok: false, text: `not a JSON answer (content-type ${contentType ?? 'none'}): ${JSON.stringify(body.toString('utf8').slice(0, 120))}` };
  }
  if (probe.matches(document)) return { ok: true, text: `JSON ${probe.expected}` };
  const got = typeof document.code === 'string' ? `the refusal ${document.code}` : JSON.stringify(document).slice(0, 200);
  return { ok: false, text: `expected JSON ${probe.expected}, got ${got}` };
}

function lengthCheck(length: string | undefined, body: Buffer): Check {
  if (length === undefined) return { ok: false, text: 'no Content-Length' };
  if (Number(length) !== body.length) return { ok: false, text: `Content-Length ${length}, but the body has ${body.length} bytes` };
  return { ok: true, text: `Content-Length ${length}, the length of the body` };
}

function timeCheck(ms: number): Check {
  return ms < OSS_WAIT_MS
    ? { ok: true, text: `answered in ${ms} ms, within the ${OSS_WAIT_MS} ms OSS waits` }
    : { ok: false, text: `answered in ${ms} ms, not within the ${OSS_WAIT_MS} ms OSS waits` };
}

/** Send every probe, print each check, and say whether every answer held to the contract. */
export async function runProbes(probes: Probe[], transport: Transport, print: (line: string) => void): Promise<boolean> {
  let held = 0;
  for (const probe of probes) {
    print(probe.title);
    const started = performance.now();
    let checks: Check[];
    try {
      const answer = await transport(probe.request);
      checks = checkAnswer(probe, answer, Math.round(performance.now() - started));
    } catch (error) {
      checks = [{ ok: false, text: `no answer: ${(error as Error).message}` }];
    }
    for (const { ok, text } of checks) print(`  ${ok ? 'ok  ' : 'FAIL'}  ${text}`);
    if (checks.every((check) => check.ok)) held++;
  }
  print(held === probes.length ? `all ${held} answers hold to the contract` : `${probes.length - held} of ${probes.length} answers fail the contract`);
  return held === probes.length;
}

import type { KeyObject } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CallbackParam } from '../lib/protocol/callback-param.js';
import { signedCallback } from '../lib/protocol/sign.js';

/** OSS waits this long for each callback URL (protocol note §5). */
export const CALLBACK_TIMEOUT_MS = 5_000;
/** Above this the answer is refused rather than relayed. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export type CallbackOutcome =
  | { ok: true; url: string; contentType: string; body: Buffer }
  | { ok: false; url: string; message: string };

export interface Delivery {
  param: CallbackParam;
  body: Buffer;
  privateKey: KeyObject;
  keyUrl: string;
  bucket: string;
  requestId: string;
  timeoutMs?: number;
}

/** OSS's 203 `CallbackFailed` message texts (protocol note §5). */
const failed = {
  status: (status: number) => `Error status : ${status}.`,
  connect: 'Error status : -1.OSS can not connect to your callbackUrl, please check it.',
  timeout: (host: string, ms: number) => `Error status : -1 ${host} reply timeout, cost:${ms}ms, timeout:${ms}ms`,
  tooLong: 'Error Status : 400.User server return too long content-length value',
  // Not a documented text: OSS refuses an answer without Content-Length with a 400 (§5).
  noLength: 'Error Status : 400.User server return no content-length value',
  notJson: 'Response body is not valid json format.',
};

type Exchange = { response: IncomingMessage; body: Buffer } | { error: string };

function exchange(url: string, param: CallbackParam, delivery: Delivery, timeoutMs: number): Promise<Exchange> {
  const signed = signedCallback({
    privateKey: delivery.privateKey,
    keyUrl: delivery.keyUrl,
    url,
    body: delivery.body,
    contentType: param.bodyType,
    bucket: delivery.bucket,
    requestId: delivery.requestId,
  });
  const target = signed.headers.host!;
  const headers = { ...signed.headers, host: param.host ?? target };
  const https = /^https:\/\//i.test(url);
  const [hostname, port] = /^(.*?)(?::(\d+))?$/.exec(target)!.slice(1) as [string, string | undefined];
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send({
      hostname,
      port: port ?? (https ? 443 : 80),
      method: 'POST',
      path: signed.rawPath + (signed.rawQuery === null ? '' : `?${signed.rawQuery}`),
      headers,
      agent: false,
      // SNI only when asked for (callbackSNI), as OSS does; '' turns it off in node:tls.
      ...(https ? { servername: param.sni ? (param.host ?? hostname) : '' } : {}),
    });
    const timer = setTimeout(() => {
      resolve({ error: failed.timeout(target, timeoutMs) });
      req.destroy();
    }, timeoutMs);
    const finish = (result: Exchange) => {
      clearTimeout(timer);
      resolve(result);
    };
    req.on('error', () => finish({ error: failed.connect }));
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_ANSWER_BYTES) {
          finish({ error: failed.tooLong });
          req.destroy();
        } else chunks.push(chunk);
      });
      response.on('end', () => finish({ response, body: Buffer.concat(chunks) }));
      response.on('error', () => finish({ error: failed.connect }));
    });
    req.end(delivery.body);
  });
}

/** Judge one answer as OSS does: 200 exactly, a Content-Length, a JSON (or declared XML) body. */
function judge(url: string, result: Exchange): CallbackOutcome {
  if ('error' in result) return { ok: false, url, message: result.error };
  const { response, body } = result;
  if (response.statusCode !== 200) return { ok: false, url, message: failed.status(response.statusCode ?? -1) };
  const declared = response.headers['content-length'];
  if (declared === undefined) return { ok: false, url, message: failed.noLength };
  if (Number(declared) > MAX_ANSWER_BYTES) return { ok: false, url, message: failed.tooLong };
  const contentType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType === 'application/xml') return { ok: true, url, contentType: 'application/xml', body };
  try {
    // A BOM is not JSON to OSS either; `toString` keeps it and JSON.parse refuses it.
    JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, url, message: failed.notJson };
  }
  return { ok: true, url, contentType: 'application/json', body };
}

/** Try each callback URL in order until one answers well; the last failure is what the uploader sees. */
export async function deliverCallback(delivery: Delivery): Promise<CallbackOutcome> {
  const timeoutMs = delivery.timeoutMs ?? CALLBACK_TIMEOUT_MS;
  let outcome: CallbackOutcome = { ok: false, url: '', message: failed.connect };
  for (const url of delivery.param.urls) {
    outcome = judge(url, await exchange(url, delivery.param, delivery, timeoutMs));
    if (outcome.ok) break;
  }
  return outcome;
}

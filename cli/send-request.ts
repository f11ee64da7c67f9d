import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CallbackRequest } from '../lib/exchange.js';
import { splitCallbackUrl } from '../lib/protocol/sign.js';

export interface SentAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** POST the request to the callback URL's host with its target, headers and body exactly as signed. */
export async function sendRequest(url: string, request: CallbackRequest): Promise<SentAnswer> {
  const secure = /^https:\/\//i.test(url);
  const { host } = splitCallbackUrl(url);
  const [hostname, port] = host.startsWith('[') ? [host.slice(1, host.indexOf(']')), host.split(']:')[1]] : host.split(':');
  const target = request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A connection of its own, as OSS opens one per callback (`Connection: close`): the global agent
    // would reuse a socket the server is closing after the answer (Bun does not say it will).
    const req = send({ hostname, port, method: request.method, path: target, headers: request.headers, timeout: 10_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host} within 10 s`)));
    req.on('error', (error) => reject(new Error(`cannot send to ${url}: ${error.message}`)));
    req.end(request.body);
  });
}

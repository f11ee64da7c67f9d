import type { CallbackRequest } from '../lib/exchange.js';
import { splitTarget } from '../lib/platforms/request-target.js';

/**
 * A raw HTTP/1.x request as captured on the wire (tcpdump, Wireshark "follow stream", `nc -l`), or as
 * `oss-callback sign` prints it. LF-only line endings are accepted, since captures pasted into a text
 * file often lose their CRs.
 */
export class RawRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RawRequestError';
  }
}

export function parseRawRequest(bytes: Buffer): CallbackRequest & { trailing: number } {
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  const [end, gap] = crlf !== -1 && (lf === -1 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end === -1) throw new RawRequestError('no blank line ends the headers; a raw request is a request line, headers, a blank line, then the body');
  const [requestLine = '', ...headerLines] = bytes.subarray(0, end).toString('latin1').split(/\r?\n/);
  // The line is latin1 text, so raw UTF-8 in the target may hold 0xA0 (传 is E4 BC A0), which \s
  // counts as white space: split on spaces only.
  const line = /^([A-Z]+) ([^ ]+) HTTP\/1\.[01]$/.exec(requestLine.trim());
  if (!line) throw new RawRequestError(`the first line is not an HTTP/1.x request line: ${JSON.stringify(requestLine.slice(0, 80))}`);
  const headers: Record<string, string> = {};
  for (const headerLine of headerLines) {
    const colon = headerLine.indexOf(':');
    if (colon <= 0) throw new RawRequestError(`not a header line: ${JSON.stringify(headerLine.slice(0, 80))}`);
    const name = headerLine.slice(0, colon).trim().toLowerCase();
    const value = headerLine.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    throw new RawRequestError('chunked bodies are not supported; OSS sends callbacks with Content-Length');
  }
  const rest = bytes.subarray(end + gap);
  let body = rest;
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (!Number.isSafeInteger(length) || length < 0) throw new RawRequestError(`Content-Length ${JSON.stringify(headers['content-length'])} is not a length`);
    if (rest.length < length) throw new RawRequestError(`the body is truncated: Content-Length says ${length} bytes, the capture has ${rest.length}`);
    body = rest.subarray(0, length);
  }
  return {
    method: line[1]!,
    ...splitTarget(Buffer.from(line[2]!, 'latin1').toString('utf8')),
    headers,
    body,
    trailing: rest.length - body.length,
  };
}

const HEADER_CASE: Record<string, string> = {
  host: 'Host',
  connection: 'Connection',
  'content-length': 'Content-Length',
  'content-md5': 'Content-MD5',
  'content-type': 'Content-Type',
  authorization: 'Authorization',
  date: 'Date',
  'user-agent': 'User-Agent',
};

/** The request as HTTP/1.1 bytes, headers in the order given, spelled as OSS spells them. */
export function formatRawRequest(request: CallbackRequest): Buffer {
  const target = request.rawQuery === null ? request.rawPath : `${request.rawPath}?${request.rawQuery}`;
  const lines = [`${request.method} ${target} HTTP/1.1`];
  for (const [name, value] of Object.entries(request.headers)) lines.push(`${HEADER_CASE[name] ?? name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), request.body]);
}

/**
 * The door for Node frameworks built on node:http (Express, Connect, NestJS, Koa through koa.ts).
 * Two things a framework may have done before the handler runs decide what it must do:
 * - A router mounted at a prefix shortens `req.url`; OSS signed the full path, which Express and
 *   Connect keep in `req.originalUrl`.
 * - A body parser may have read the stream. The raw bytes are used when the framework kept them
 *   (`req.rawBody`, a Buffer `req.body` from `express.raw()`); otherwise the callback is answered at
 *   once with `500 Misconfigured` naming the fix, never left waiting for a stream that has ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallbackRequest, CallbackResponse } from '../exchange.js';
import { headersOf, readBody } from './node-http.js';
import { answering, type ReceiverInput } from './receiver-source.js';
import { splitTarget } from './request-target.js';
import { LARGEST_BODY } from './wire.js';

interface FrameworkFields {
  /** Express, Connect: the request target before any router shortened `url`. */
  originalUrl?: unknown;
  /** NestJS (`rawBody: true`) and raw-body plugins: the bytes a body parser read. */
  rawBody?: unknown;
  /** What a body parser made of the body; a Buffer from `express.raw()`. */
  body?: unknown;
}

/** Read loosely: frameworks (and their typings, which augment IncomingMessage) disagree on these. */
const frameworkFields = (req: IncomingMessage): FrameworkFields => req as FrameworkFields;

const NODE_ADVICE =
  'mount the OSS callback handler before any body parser (express.json(), express.urlencoded(), …), or keep the raw bytes: ' +
  "express.raw({ type: '*/*' }) on its route, or req.rawBody from the parsers' verify option ({ rawBody: true } in NestJS); " +
  "in Fastify a '*' content-type parser with parseAs 'buffer' and nodeCallbackRequest(request.raw, request.body)";

function originalUrl(req: IncomingMessage): string {
  const { originalUrl } = frameworkFields(req);
  return typeof originalUrl === 'string' ? originalUrl : (req.url ?? '/');
}

/** The callback request from a framework's request and the body bytes, under the URL OSS signed. */
export function nodeCallbackRequest(req: IncomingMessage, body: Buffer, url: string = originalUrl(req)): CallbackRequest {
  return { method: req.method ?? 'POST', ...splitTarget(url), headers: headersOf(req), body };
}

/** The raw body, kept by the framework or read from the stream; undefined when a body parser read it and kept no bytes. */
async function rawBody(req: IncomingMessage, kept: unknown[]): Promise<Buffer | undefined> {
  const buffer = kept.find((candidate): candidate is Buffer => Buffer.isBuffer(candidate));
  if (buffer) return buffer;
  // A parser that ran has read (or is reading) the stream: its 'end' will never come again.
  if (req.readableDidRead || req.readableEnded) return undefined;
  return readBody(req, LARGEST_BODY);
}

/**
 * The callback request under the URL OSS signed, with `bodyUnavailable` (what to change: `advice`)
 * when a body parser took the raw bytes. `kept` lists where the framework may have left them.
 */
export async function nodeRequestOf(
  req: IncomingMessage,
  advice: string,
  url = originalUrl(req),
  kept: unknown[] = [frameworkFields(req).rawBody, frameworkFields(req).body],
): Promise<CallbackRequest> {
  const body = await rawBody(req, kept);
  if (body) return nodeCallbackRequest(req, body, url);
  const bodyUnavailable = `the callback's body was read by a body parser before this handler and its raw bytes, which OSS signed, were not kept: ${advice}`;
  return { ...nodeCallbackRequest(req, Buffer.alloc(0), url), bodyUnavailable };
}

function send(res: ServerResponse, { status, headers, body }: CallbackResponse): void {
  res.writeHead(status, headers);
  res.end(body);
}

/**
 * `(req, res) => Promise<void>` for node:http, Express, Connect and NestJS: every request it is given
 * is answered (it never calls `next`), so mount it on the callback path only.
 */
export function nodeHandler(receiver: ReceiverInput): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const answer = answering(receiver);
  return async (req, res) => {
    try {
      send(res, await answer(() => nodeRequestOf(req, NODE_ADVICE)));
    } catch {
      // The stream failed (the client went away): there is no one to answer.
      req.destroy();
    }
  };
}

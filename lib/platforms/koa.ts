import type { IncomingMessage } from 'node:http';
import type { CallbackResponse } from '../exchange.js';
import { nodeRequestOf } from './node.js';
import { answering, type ReceiverInput } from './receiver-source.js';

/**
 * The Koa door. `ctx.originalUrl` is the request target as sent: @koa/router prefixes and koa-mount
 * change `ctx.path`, never it. A body parser (koa-bodyparser, @koa/bodyparser) reads `ctx.req` and
 * keeps text, not bytes, so behind one the callback is answered `500 Misconfigured` at once.
 */
export interface KoaContextLike {
  req: IncomingMessage;
  originalUrl: string;
  request: { body?: unknown; rawBody?: unknown };
  status: number;
  body: unknown;
  set(headers: Record<string, string>): void;
}

const KOA_ADVICE = 'mount the OSS callback middleware before bodyParser() (koa-bodyparser, @koa/bodyparser), or keep the callback path out of it';

function respond(ctx: KoaContextLike, { status, headers, body }: CallbackResponse): void {
  ctx.status = status;
  // Headers first: Koa would otherwise type a Buffer body application/octet-stream.
  ctx.set(headers);
  ctx.body = body;
}

/** Koa middleware that answers every request it is given (it never calls `next`): mount it on the callback route. */
export function koaHandler(receiver: ReceiverInput): (ctx: KoaContextLike, next?: () => Promise<unknown>) => Promise<void> {
  const answer = answering(receiver);
  return async (ctx) => {
    respond(ctx, await answer(() => nodeRequestOf(ctx.req, KOA_ADVICE, ctx.originalUrl, [ctx.request.rawBody, ctx.request.body])));
  };
}

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadTrustedKeysFile, pinnedKeys } from '../../../lib/protocol/trusted-keys.js';
import { KeyResolver, verifyCallback } from '../../../lib/protocol/verify.js';

export interface ReceivedCallback {
  path: string;
  query: string | null;
  headers: Record<string, string>;
  body: string;
  verified: boolean;
}

export type Behaviour = 'json' | 'status500' | 'slow' | 'text' | 'chunked';

/**
 * A stand-in receiver for the simulator tests: it checks every callback's signature with the
 * project's own verifier (keys from the simulator's trusted-keys file) and answers as told.
 */
export async function startTestReceiver(trustedKeysFile: string) {
  const keys = new KeyResolver(pinnedKeys(loadTrustedKeysFile(trustedKeysFile)));
  const received: ReceivedCallback[] = [];
  let behaviour: Behaviour = 'json';

  async function read(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  const server = createServer(async (req, res) => {
    const body = await read(req);
    const target = req.url ?? '/';
    const mark = target.indexOf('?');
    const rawPath = mark === -1 ? target : target.slice(0, mark);
    const rawQuery = mark === -1 ? null : target.slice(mark + 1);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    const verified = await verifyCallback({ method: req.method ?? 'POST', rawPath, rawQuery, headers, body }, keys).then(
      () => true,
      () => false,
    );
    received.push({ path: rawPath, query: rawQuery, headers, body: body.toString('utf8'), verified });
    const answer = Buffer.from(JSON.stringify({ Status: verified ? 'OK' : 'BadSignature', received: received.length }));
    switch (behaviour) {
      case 'status500':
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
        return;
      case 'slow':
        setTimeout(() => res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer), 2000).unref();
        return;
      case 'text':
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('OK');
        return;
      case 'chunked':
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer);
        return;
      default:
        res.writeHead(verified ? 200 : 400, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    behave(next: Behaviour) {
      behaviour = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a DynamoDB endpoint that misbehaves on chosen operations, so faults reach
 * the real SDK client as they would from AWS: throttling answered in DynamoDB's wire format, a request
 * that never gets an answer, one that is written but whose answer is lost, a dropped connection.
 */
export type ProxyFault =
  | { kind: 'throttle'; name?: 'ProvisionedThroughputExceededException' | 'ThrottlingException' }
  | { kind: 'hang' }
  | { kind: 'lose-answer' }
  | { kind: 'reset' };

export interface FaultProxy {
  endpoint: string;
  /** Apply `fault` to the next `times` requests for `operation` (e.g. `PutItem`). */
  inject(operation: string, fault: ProxyFault, times?: number): void;
  /** How many requests of each operation reached the proxy. */
  seen: Record<string, number>;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: { operation: string; fault: ProxyFault; times: number }[] = [];
  const seen: Record<string, number> = {};
  const held = new Set<ServerResponse>();
  const { hostname, port } = new URL(target);

  const forward = (req: IncomingMessage, body: Buffer, answer: (status: number, headers: object, payload: Buffer) => void) => {
    const upstream = request({ hostname, port, method: req.method, path: req.url, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => answer(res.statusCode ?? 500, res.headers, Buffer.concat(chunks)));
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      seen[operation] = (seen[operation] ?? 0) + 1;
      const match = faults.find((entry) => entry.operation === operation && entry.times > 0);
      if (match) match.times--;
      const fault = match?.fault;
      const body = Buffer.concat(chunks);
      if (!fault) return forward(req, body, (status, headers, payload) => res.writeHead(status, headers as never).end(payload));
      switch (fault.kind) {
        case 'throttle': {
          const name = fault.name ?? 'ProvisionedThroughputExceededException';
          const payload = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${name}`, message: 'Rate exceeded' });
          return res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' }).end(payload);
        }
        case 'hang':
          held.add(res);
          return;
        case 'lose-answer':
          held.add(res);
          return forward(req, body, () => {});
        case 'reset':
          return req.socket.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject: (operation, fault, times = 1) => void faults.push({ operation, fault, times }),
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of a DynamoDB endpoint that counts requests and misbehaves on chosen
 * operations, so faults reach the store's client as they would from AWS: throttling and server errors
 * answered in DynamoDB's wire format, a request that never gets an answer, one that is written but
 * whose answer is lost, or cut short after its status line, a dropped connection.
 */
export type ProxyFault =
  | { kind: 'throttle'; name?: 'ProvisionedThroughputExceededException' | 'ThrottlingException' }
  | { kind: 'server-error' }
  | { kind: 'hang' }
  | { kind: 'lose-answer' }
  | { kind: 'cut-answer' }
  | { kind: 'reset' }
  /** AccessDeniedException, which no client retries: a role that lacks the operation. */
  | { kind: 'refuse' }
  /** A batch answered 200 with nothing done: every key (BatchGetItem) or item (BatchWriteItem) back as unprocessed. */
  | { kind: 'unprocessed' };

export interface FaultProxyOptions {
  /**
   * Answer a failed condition as DynamoDB does and dynalite does not: with the item that is there,
   * when the request asked for it (`ReturnValuesOnConditionCheckFailure: ALL_OLD`). The proxy reads
   * the item itself; that read is not counted in `seen`.
   */
  returnItemOnConditionFailure?: boolean;
}

export interface FaultProxy {
  endpoint: string;
  /** Apply `fault` to the next `times` requests for `operation` (e.g. `PutItem`). */
  inject(operation: string, fault: ProxyFault, times?: number): void;
  /** Apply `fault` to the `from`-th write request (PutItem, BatchWriteItem, …; counting from 1) and every later one. */
  failWrites(from: number, fault: ProxyFault): void;
  /** How many requests of each operation reached the proxy. */
  seen: Record<string, number>;
  /** The body of the last request of each operation, parsed. */
  lastInput: Record<string, unknown>;
  /** All requests that reached the proxy, of any operation. */
  total(): number;
  stop(): Promise<void>;
}

interface Upstream {
  status: number;
  headers: IncomingHttpHeaders;
  payload: Buffer;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'BatchWriteItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems']);

export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const faults: { operation: string; fault: ProxyFault; times: number }[] = [];
  let failWritesFrom: { from: number; fault: ProxyFault } | undefined;
  let writes = 0;
  const seen: Record<string, number> = {};
  const lastInput: Record<string, unknown> = {};
  const held = new Set<ServerResponse>();
  const { hostname, port } = new URL(target);

  const forward = (req: IncomingMessage, body: Buffer, headers = req.headers): Promise<Upstream> =>
    new Promise((resolve, reject) => {
      const upstream = request({ hostname, port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, payload: Buffer.concat(chunks) }));
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  /** DynamoDB's answer to a failed condition carries the item; dynalite's does not, so add it. */
  const withItem = async (req: IncomingMessage, body: Buffer, answer: Upstream): Promise<Upstream> => {
    const input = JSON.parse(body.toString()) as { TableName: string; Item: { pk: unknown }; ReturnValuesOnConditionCheckFailure?: string };
    const error = JSON.parse(answer.payload.toString()) as { __type?: string };
    if (input.ReturnValuesOnConditionCheckFailure !== 'ALL_OLD' || !error.__type?.endsWith('#ConditionalCheckFailedException')) return answer;
    const read = Buffer.from(JSON.stringify({ TableName: input.TableName, Key: { pk: input.Item.pk }, ConsistentRead: true }));
    const headers = { ...req.headers, 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-length': String(read.length) };
    const { Item } = JSON.parse((await forward(req, read, headers)).payload.toString()) as { Item?: unknown };
    const payload = Buffer.from(JSON.stringify({ ...error, Item }));
    return { ...answer, headers: { ...answer.headers, 'content-length': String(payload.length) }, payload };
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      seen[operation] = (seen[operation] ?? 0) + 1;
      const match = faults.find((entry) => entry.operation === operation && entry.times > 0);
      if (match) match.times--;
      const write = WRITE_OPERATIONS.has(operation) ? ++writes : 0;
      const fault = match?.fault ?? (failWritesFrom && write >= failWritesFrom.from ? failWritesFrom.fault : undefined);
      const body = Buffer.concat(chunks);
      lastInput[operation] = JSON.parse(body.toString() || 'null') as unknown;
      const answerWith = (name: string, status: number) => {
        const payload = JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${name}`, message: 'injected by the fault proxy' });
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(payload);
      };
      switch (fault?.kind) {
        case undefined: {
          let answer = await forward(req, body);
          if (options.returnItemOnConditionFailure && operation === 'PutItem' && answer.status === 400) answer = await withItem(req, body, answer);
          return res.writeHead(answer.status, answer.headers).end(answer.payload);
        }
        case 'throttle':
          return answerWith(fault.name ?? 'ProvisionedThroughputExceededException', 400);
        case 'server-error':
          return answerWith('InternalServerError', 500);
        case 'hang':
          held.add(res);
          return;
        case 'lose-answer':
          held.add(res);
          return void forward(req, body);
        case 'cut-answer': {
          // Forwarded and answered: the status line and half the body arrive, then the connection drops.
          const answer = await forward(req, body);
          res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.payload.length + 10) });
          return void res.write(answer.payload.subarray(0, Math.floor(answer.payload.length / 2)), () => res.socket?.destroy());
        }
        case 'reset':
          return req.socket.destroy();
        case 'refuse':
          return answerWith('AccessDeniedException', 400);
        case 'unprocessed': {
          const { RequestItems } = lastInput[operation] as { RequestItems: unknown };
          const left = operation === 'BatchGetItem' ? { Responses: {}, UnprocessedKeys: RequestItems } : { UnprocessedItems: RequestItems };
          return res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(left));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    inject: (operation, fault, times = 1) => void faults.push({ operation, fault, times }),
    failWrites: (from, fault) => void (failWritesFrom = { from, fault }),
    seen,
    lastInput,
    total: () => Object.values(seen).reduce((sum, count) => sum + count, 0),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

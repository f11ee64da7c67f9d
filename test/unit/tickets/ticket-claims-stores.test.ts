import { randomBytes, randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBudget } from '../../../lib/deadline.js';
import type { CallbackError } from '../../../lib/errors.js';
import type { CallbackFields } from '../../../lib/protocol/callback-body.js';
import { openDynamoDbStore } from '../../../lib/store/dynamodb.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import type { UploadStore } from '../../../lib/store/port.js';
import { openSqliteStore } from '../../../lib/store/sqlite.js';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { ticketAuthorizer } from '../../../lib/tickets/authorize.js';
import { signTicket } from '../../../lib/tickets/ticket.js';
import { startDynalite, freshTableName, type Dynalite } from '../../support/dynalite.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The ticket's one-object binding is one conditional write through the port's `bind`: every adapter
 * binds it, lets the same object through again, refuses another object, and keeps the binding out
 * of its listings.
 */
const key = { id: 'k', secret: new Uint8Array(randomBytes(32)) };
const keys = new Map([[key.id, key.secret]]);
const CREDENTIALS = { accessKeyId: 'key-one', accessKeySecret: 'secret-one' };

function fields(object: string): CallbackFields {
  return { bucket: 'photos', object, etag: null, size: 10, mimeType: null, crc64: null, contentMd5: null, operation: null, reqId: null, clientIp: null, vpcId: null, image: null, vars: {} };
}

let dynalite: Dynalite;
let tablestore: TablestoreServer;
const dir = tempDir('oss-ticket-claims-');

beforeAll(async () => {
  dynalite = await startDynalite();
  tablestore = await startTablestoreServer({ instance: 'claims', credentials: [CREDENTIALS] });
});

afterAll(async () => {
  await dynalite?.stop();
  await tablestore?.close();
});

const stores: [string, () => Promise<UploadStore>][] = [
  ['memory', async () => new MemoryStore()],
  ['sqlite', async () => openSqliteStore(join(dir, `${randomUUID()}.db`))],
  ['dynamodb (dynalite)', async () => openDynamoDbStore(freshTableName(), { clientConfig: dynalite.clientConfig })],
  ['tablestore (wire server)', () => openTablestoreStore('claims', `t${randomUUID().slice(0, 8)}`, { endpoint: tablestore.endpoint, aliyunCredentials: () => CREDENTIALS })],
];

describe.each(stores)('a ticket bound through the %s store', (_, open) => {
  it('binds the first object, passes it again, refuses another, and lists nothing', async () => {
    const store = await open();
    await store.init();
    try {
      const now = Date.now();
      const authorize = ticketAuthorizer({ keys, required: true });
      const jws = await signTicket({ sub: 'alice', jti: randomUUID(), bucket: 'photos', prefix: 'uploads/alice/', maxSize: 100, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 }, key);
      const context = () => ({ budget: createBudget(Date.now() + 3000), store });

      expect(await authorize(fields('uploads/alice/a.png'), jws, context())).toBe('alice');
      expect(await authorize(fields('uploads/alice/a.png'), jws, context())).toBe('alice');
      const refusal = await authorize(fields('uploads/alice/b.png'), jws, context()).catch((error: CallbackError) => error);
      expect(refusal).toMatchObject({ code: 'TicketReused', status: 403 });
      expect(await store.list({})).toEqual([]);
      expect(await store.list({ uploader: 'alice' })).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

it('leaves no listener on the callback\'s budget once the binding is made', async () => {
  const now = Date.now();
  const jws = await signTicket({ sub: 'alice', jti: randomUUID(), bucket: 'photos', prefix: 'uploads/alice/', maxSize: 100, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 600 }, key);
  const budget = createBudget(now + 3000);
  await ticketAuthorizer({ keys, required: true })(fields('uploads/alice/a.png'), jws, { budget, store: new MemoryStore() });
  expect(getEventListeners(budget.signal, 'abort')).toEqual([]);
  budget.dispose();
});

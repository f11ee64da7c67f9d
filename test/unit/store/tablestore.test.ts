import { afterAll, beforeAll, describe } from 'vitest';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { describeStoreContract } from '../../contract/store.contract.js';
import { startTablestoreServer, type TablestoreServer } from '../../support/tablestore-server.js';

const INSTANCE = 'test-instance';
const CREDENTIALS = { accessKeyId: 'test-key-id', accessKeySecret: 'test-key-secret' };

describe('tablestore adapter over the wire-protocol test server', () => {
  let server: TablestoreServer;
  let tables = 0;
  beforeAll(async () => {
    server = await startTablestoreServer({ instance: INSTANCE, credentials: [CREDENTIALS] });
  });
  afterAll(async () => {
    await server.close();
  });
  describeStoreContract('tablestore', () =>
    openTablestoreStore(INSTANCE, `uploads_${++tables}`, { endpoint: server.endpoint, aliyunCredentials: () => CREDENTIALS }),
  );
});

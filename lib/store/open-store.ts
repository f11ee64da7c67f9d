import type { AliyunCredentials } from '../credentials.js';
import { withPeers } from '../peer-package.js';
import type { UploadStore } from './port.js';

export interface OpenStoreOptions {
  /** Function Compute rotates STS credentials per invocation; Tablestore asks for the latest. */
  aliyunCredentials?: () => AliyunCredentials | undefined;
}

const FORMS = 'sqlite:<path>, memory:, dynamodb:<table> or tablestore:<instance>/<table>';

/**
 * Open the store an `UPLOAD_STORE` URI names. Each adapter is imported only when chosen, so a process
 * (or a bundle split at dynamic imports) loads one store SDK at most; an SDK that is not installed
 * (they are optional peers) is named in the error.
 */
export async function openStore(uri: string, options: OpenStoreOptions = {}): Promise<UploadStore> {
  const colon = uri.indexOf(':');
  const scheme = colon < 0 ? '' : uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'memory':
      if (rest !== '') break;
      return (await import('./memory.js')).openMemoryStore();
    case 'sqlite':
      if (rest === '') break;
      return (await withPeers(['better-sqlite3'], 'the sqlite: store', () => import('./sqlite.js'))).openSqliteStore(rest);
    case 'dynamodb':
      // DynamoDB's own rule for table names, checked here so the mistake is named before any request.
      if (!/^[A-Za-z0-9_.-]{3,255}$/.test(rest)) break;
      return (await import('./dynamodb.js')).openDynamoDbStore(rest);
    case 'tablestore': {
      const match = /^([^/]+)\/([^/]+)$/.exec(rest);
      if (!match) break;
      const { openTablestoreStore } = await withPeers(['tablestore'], 'the tablestore: store', () => import('./tablestore.js'));
      return openTablestoreStore(match[1] as string, match[2] as string, options);
    }
  }
  throw new Error(`the store "${uri}" is not one this product opens; use ${FORMS}`);
}

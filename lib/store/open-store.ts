import type { AliyunCredentials } from '../credentials.js';
import type { UploadStore } from './port.js';

export interface OpenStoreOptions {
  /** Function Compute rotates STS credentials per invocation; Tablestore asks for the latest. */
  aliyunCredentials?: () => AliyunCredentials | undefined;
}

const FORMS = 'sqlite:<path>, memory:, dynamodb:<table> or tablestore:<instance>/<table>';

/** The shapes of adapter modules that are still being written; see `loadAdapter`. */
interface DynamoDbModule {
  openDynamoDbStore(table: string): Promise<UploadStore> | UploadStore;
}
interface TablestoreModule {
  openTablestoreStore(instance: string, table: string, options: OpenStoreOptions): Promise<UploadStore> | UploadStore;
}

/**
 * Open the store an `UPLOAD_STORE` URI names. Each adapter is imported only when chosen, so a bundle
 * loads one store SDK at most.
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
      return (await import('./sqlite.js')).openSqliteStore(rest);
    case 'dynamodb':
      // DynamoDB's own rule for table names, checked here so the mistake is named before any request.
      if (!/^[A-Za-z0-9_.-]{3,255}$/.test(rest)) break;
      return (await loadAdapter<DynamoDbModule>('./dynamodb.js', 'DynamoDB')).openDynamoDbStore(rest);
    case 'tablestore': {
      const match = /^([^/]+)\/([^/]+)$/.exec(rest);
      if (!match) break;
      return (await import('./tablestore.js')).openTablestoreStore(match[1] as string, match[2] as string, options);
    }
  }
  throw new Error(`the store "${uri}" is not one this product opens; use ${FORMS}`);
}

/**
 * A computed specifier while the adapter module is not yet in the branch, so this compiles without
 * it; each becomes a literal `import()` (which bundlers follow) once its module lands.
 */
async function loadAdapter<T>(specifier: string, name: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new Error(`the ${name} adapter is not part of this build`, { cause: error });
    }
    throw error;
  }
}

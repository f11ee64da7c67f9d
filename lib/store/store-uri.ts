import type { AliyunCredentials } from '../credentials.js';
import type { UploadStore } from './port.js';

/** A store as an `UPLOAD_STORE` URI names it. */
export type StoreLocation =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'dynamodb'; table: string }
  | { kind: 'tablestore'; instance: string; table: string };

type StoreKind = StoreLocation['kind'];

export interface OpenStoreOptions {
  /** Function Compute rotates STS credentials per invocation; Tablestore asks for the latest. */
  aliyunCredentials?: () => AliyunCredentials | undefined;
  /** Open only a store that already exists (readers such as `records`); never create one. */
  mustExist?: boolean;
}

/**
 * Opens one kind of store. Each lives in a module of its own (open-memory.ts, open-dynamodb.ts, …)
 * that imports its adapter only when called: esbuild makes a chunk of every dynamic import it can
 * reach, so a bundle carries exactly the adapters its openers name.
 */
export type StoreOpener<K extends StoreKind> = (location: Extract<StoreLocation, { kind: K }>, options: OpenStoreOptions) => Promise<UploadStore>;

/** The stores a build can open: every one for the CLI and the local server, its platform's in a function bundle. */
export type StoreOpeners = { [K in StoreKind]?: StoreOpener<K> };

const FORMS: Record<StoreKind, string> = {
  sqlite: 'sqlite:<path>',
  memory: 'memory:',
  dynamodb: 'dynamodb:<table>',
  tablestore: 'tablestore:<instance>/<table>',
};

/** `a`, `a or b`, `a, b or c`. */
const either = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`);

/** The one place `UPLOAD_STORE` URIs are read; a URI of no known form is refused, naming the forms. */
export function parseStoreUri(uri: string): StoreLocation {
  const colon = uri.indexOf(':');
  const scheme = colon < 0 ? '' : uri.slice(0, colon);
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'memory':
      if (rest === '') return { kind: 'memory' };
      break;
    case 'sqlite':
      if (rest !== '') return { kind: 'sqlite', path: rest };
      break;
    case 'dynamodb':
      // DynamoDB's own rule for table names, checked here so the mistake is named before any request.
      if (/^[A-Za-z0-9_.-]{3,255}$/.test(rest)) return { kind: 'dynamodb', table: rest };
      break;
    case 'tablestore': {
      const match = /^([^/]+)\/([^/]+)$/.exec(rest);
      if (match) return { kind: 'tablestore', instance: match[1] as string, table: match[2] as string };
      break;
    }
  }
  throw new Error(`the store "${uri}" is not one this product opens; use ${either(Object.values(FORMS))}`);
}

/** Open the store `uri` names with one of `openers`; a store they do not include is refused by name. */
export async function openStoreWith(openers: StoreOpeners, uri: string, options: OpenStoreOptions = {}): Promise<UploadStore> {
  const location = parseStoreUri(uri);
  // The opener filed under a kind takes that kind's location; TypeScript cannot follow the pairing.
  const open = openers[location.kind] as StoreOpener<StoreKind> | undefined;
  if (!open) {
    const carried = (Object.keys(FORMS) as StoreKind[]).filter((kind) => openers[kind]).map((kind) => FORMS[kind]);
    throw new Error(`the store "${uri}" is not in this bundle, which opens ${either(carried)}`);
  }
  return open(location, options);
}

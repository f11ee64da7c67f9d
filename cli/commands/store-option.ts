import { DEFAULT_STORE } from '../../lib/config.js';
import { openStore } from '../../lib/store/open-store.js';
import type { OpenStoreOptions } from '../../lib/store/store-uri.js';
import type { UploadStore } from '../../lib/store/port.js';

/** `--store URI` for the commands that read or set up a store: as given, or as the receiver would pick. */
export const storeOption = { store: { type: 'string' } } as const;

export const STORE_OPTION_HELP = `  --store URI      the store (default: $UPLOAD_STORE, else ${DEFAULT_STORE}):
                   sqlite:<path> | memory: | dynamodb:<table> | tablestore:<instance>/<table>`;

export function openStoreFor(store: string | undefined, env: NodeJS.ProcessEnv, options: OpenStoreOptions = {}): Promise<UploadStore> {
  return openStore(store || env.UPLOAD_STORE || DEFAULT_STORE, options);
}

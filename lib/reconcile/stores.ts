import type { OpenStoreOptions } from '../store/open-store.js';
import type { UploadStore } from '../store/port.js';

/** Opens a store from the part of its UPLOAD_STORE URI after the scheme: a table, `instance/table`. */
export type StoreAdapter = (location: string, options: OpenStoreOptions) => Promise<UploadStore>;

export type OpenStore = (uri: string, options: OpenStoreOptions) => Promise<UploadStore>;

/**
 * Open UPLOAD_STORE with only the adapters a function's bundle carries, by scheme (`dynamodb`,
 * `tablestore`, `memory`): the bundle holds those and no other store's SDK. Any other scheme is
 * refused by name.
 */
export function storesOf(adapters: Record<string, StoreAdapter>): OpenStore {
  return async (uri, options) => {
    const colon = uri.indexOf(':');
    const adapter = colon > 0 ? adapters[uri.slice(0, colon)] : undefined;
    if (!adapter) throw new Error(`UPLOAD_STORE is "${uri}"; this function opens ${Object.keys(adapters).map((scheme) => `${scheme}:`).join(' or ')} stores`);
    return adapter(uri.slice(colon + 1), options);
  };
}

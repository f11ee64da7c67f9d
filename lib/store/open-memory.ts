import type { StoreOpener } from './store-uri.js';

export const openMemory: StoreOpener<'memory'> = async () => (await import('./memory.js')).openMemoryStore();

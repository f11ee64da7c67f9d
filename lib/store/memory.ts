import { EntryStatus, type ClaimEntry, type ClaimOutcome, type CompleteEntry, type ListQuery, type StoreCallOptions, type StoredEntry, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { checkListQuery, matchesQuery, newestFirst } from './list-query.js';

/**
 * `memory:` — entries in a Map, for tests and the local benchmark. Each verb runs without awaiting in
 * between, so the conditional writes are atomic on the one event loop. Entries are copied in and out
 * so no caller can change what is stored.
 */
export class MemoryStore implements UploadStore {
  readonly description = 'memory:';
  readonly #entries = new Map<string, StoredEntry>();

  async claim(claim: ClaimEntry, now: number, options?: StoreCallOptions): Promise<ClaimOutcome> {
    options?.signal?.throwIfAborted();
    const existing = this.#entries.get(claim.id);
    if (existing && !(existing.status === EntryStatus.INPROGRESS && existing.claimExpiresAt < now)) {
      return { claimed: false, existing: structuredClone(existing) };
    }
    this.#entries.set(claim.id, structuredClone(claim));
    return { claimed: true };
  }

  async complete(entry: CompleteEntry, claimToken: string, options?: StoreCallOptions): Promise<boolean> {
    options?.signal?.throwIfAborted();
    if (!this.#holds(entry.id, claimToken)) return false;
    this.#entries.set(entry.id, structuredClone(entry));
    return true;
  }

  async release(id: string, claimToken: string, options?: StoreCallOptions): Promise<void> {
    options?.signal?.throwIfAborted();
    if (this.#holds(id, claimToken)) this.#entries.delete(id);
  }

  async get(id: string, options?: StoreCallOptions): Promise<StoredEntry | undefined> {
    options?.signal?.throwIfAborted();
    const entry = this.#entries.get(id);
    return entry && structuredClone(entry);
  }

  async list(query: ListQuery, options?: StoreCallOptions): Promise<UploadRecord[]> {
    checkListQuery(query);
    options?.signal?.throwIfAborted();
    const records: UploadRecord[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.status === EntryStatus.COMPLETE && matchesQuery(entry.record, query)) records.push(structuredClone(entry.record));
    }
    return records.sort(newestFirst).slice(0, query.limit);
  }

  async init(): Promise<void> {}

  async close(): Promise<void> {}

  #holds(id: string, claimToken: string): boolean {
    const current = this.#entries.get(id);
    return current?.status === EntryStatus.INPROGRESS && current.claimToken === claimToken;
  }
}

export function openMemoryStore(): UploadStore {
  return new MemoryStore();
}

import { replaces, type Binding, type CountQuery, type CreateOutcome, type ListQuery, type SourceCounts, type StoredUpload, type UploadStore } from './port.js';
import type { UploadRecord } from './record.js';
import { checkCountQuery, countInPeriod, zeroedPeriods } from './count-query.js';
import { checkListQuery, matchesQuery, newestFirst } from './list-query.js';
import { checkCheckpoint } from './port.js';

/**
 * `memory:` — uploads in a Map, for tests, the library's quick start and the local benchmark. Each
 * verb runs without awaiting in between, so its conditional write is atomic on the one event loop
 * (and over before any deadline signal could fire: the caller checks the budget before calling).
 * Values are copied in and out so no caller can change what is stored.
 */
export class MemoryStore implements UploadStore {
  readonly description = 'memory:';
  readonly #uploads = new Map<string, StoredUpload>();
  readonly #bindings = new Map<string, string>();
  readonly #checkpoints = new Map<string, string>();

  async create(upload: StoredUpload): Promise<CreateOutcome> {
    const existing = this.#uploads.get(upload.record.id);
    if (existing && !replaces(upload.record.source, existing.record.source)) return { created: false, existing: structuredClone(existing) };
    this.#uploads.set(upload.record.id, structuredClone(upload));
    return { created: true };
  }

  async get(id: string): Promise<StoredUpload | undefined> {
    const upload = this.#uploads.get(id);
    return upload && structuredClone(upload);
  }

  async getMany(ids: readonly string[]): Promise<Map<string, StoredUpload>> {
    const found = new Map<string, StoredUpload>();
    for (const id of ids) {
      const upload = this.#uploads.get(id);
      if (upload) found.set(id, structuredClone(upload));
    }
    return found;
  }

  async list(query: ListQuery): Promise<UploadRecord[]> {
    checkListQuery(query);
    const records: UploadRecord[] = [];
    for (const { record } of this.#uploads.values()) {
      if (matchesQuery(record, query)) records.push(structuredClone(record));
    }
    return records.sort(newestFirst).slice(0, query.limit);
  }

  async count(query: CountQuery): Promise<SourceCounts[]> {
    checkCountQuery(query);
    const counts = zeroedPeriods(query.bounds);
    for (const { record } of this.#uploads.values()) countInPeriod(counts, record, query);
    return counts;
  }

  async bind(binding: Binding): Promise<string> {
    const bound = this.#bindings.get(binding.key);
    if (bound !== undefined) return bound;
    this.#bindings.set(binding.key, binding.value);
    return binding.value;
  }

  async getCheckpoint(name: string): Promise<string | undefined> {
    checkCheckpoint(name);
    return this.#checkpoints.get(name);
  }

  async putCheckpoint(name: string, value: string): Promise<void> {
    checkCheckpoint(name, value);
    this.#checkpoints.set(name, value);
  }

  async init(): Promise<void> {}

  async close(): Promise<void> {}
}

export function openMemoryStore(): UploadStore {
  return new MemoryStore();
}

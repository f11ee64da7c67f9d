import { createBudget, type Budget } from '../deadline.js';
import type { OssClient } from '../oss/client.js';
import { headObject } from '../oss/head-object.js';
import { uploadCounts, type UploadCounts } from '../stats/upload-stats.js';
import { noCounts } from '../store/count-query.js';
import type { UploadStore } from '../store/port.js';
import type { RecordSource } from '../store/record.js';
import { recordUpload } from '../store/record-upload.js';
import { factsOfEvent, objectWrite, type OssEventDocument } from './oss-event.js';
import { recordOf } from './records.js';

export interface EventOutcome {
  eventName: string;
  bucket?: string;
  object?: string;
  /**
   * `recorded`; `already recorded` (by its callback, an earlier delivery, a reconcile); `ignored` (not
   * an object write); `malformed`; and, for a key that may be URL-encoded: `not found` (OSS holds
   * no spelling of it with the event's ETag: deleted since, or spelt some other way), `ambiguous`
   * (OSS holds more than one), `unverified` (no OSS reader to ask). Only the first two record.
   */
  outcome: 'recorded' | 'already recorded' | 'ignored' | 'malformed' | 'not found' | 'ambiguous' | 'unverified';
  /** Recorded or already recorded: where the record that holds the upload came from. */
  source?: RecordSource;
  error?: string;
}

export interface RecordEventsOptions {
  /** Reads which spelling of a key OSS holds, for keys an event may have URL-encoded. */
  oss?: OssClient;
  now?: () => number;
}

export const EVENT_BUDGET_MS = 10_000;

/**
 * Record each object an OSS event says was written, as soon as it is stored, under the upload's id
 * (bucket, key, ETag), so the callback for the same upload finds it and replaces it with its own
 * record. A redelivered event writes nothing new. A store or OSS failure is thrown, so the platform
 * delivers the event again; an event that can never be recorded (malformed) is reported, not thrown.
 *
 * Whether OSS URL-encodes the key in the events a Function Compute trigger delivers is documented
 * nowhere (S3 and OBS do; Alibaba's samples pass the key to GetObject as given). A key with no `%`
 * and no `+` reads the same either way and is recorded as it is. For any other, HeadObject asks
 * which spellings OSS holds with the event's ETag (as given, percent-decoded, and with `+` read as a
 * space too), and only the one it holds is recorded: never a key OSS does not hold.
 */
export async function recordOssEvents(store: UploadStore, document: OssEventDocument, options: RecordEventsOptions = {}): Promise<EventOutcome[]> {
  const now = options.now ?? Date.now;
  const outcomes: EventOutcome[] = [];
  for (const entry of document.events) {
    const eventName = String(entry.eventName);
    const operation = objectWrite(entry);
    if (!operation) {
      outcomes.push({ eventName, outcome: 'ignored' });
      continue;
    }
    let facts;
    try {
      facts = factsOfEvent(entry, operation);
    } catch (error) {
      outcomes.push({ eventName, outcome: 'malformed', error: (error as Error).message });
      continue;
    }
    const about = { eventName, bucket: facts.bucket, object: facts.key };
    const budget = createBudget(now() + EVENT_BUDGET_MS, now);
    try {
      const spellings = keySpellings(facts.key);
      if (spellings.length > 1) {
        if (!options.oss) {
          outcomes.push({ ...about, outcome: 'unverified', error: 'the key may be URL-encoded, and there is no OSS reader to ask which spelling OSS holds' });
          continue;
        }
        const held = await spellingsHeld(options.oss, facts.bucket, spellings, facts.etag, budget);
        if (held.length !== 1) {
          outcomes.push({ ...about, outcome: held.length === 0 ? 'not found' : 'ambiguous', error: `OSS holds ${held.length} of the spellings ${JSON.stringify(spellings)} with ETag ${facts.etag}` });
          continue;
        }
        facts = { ...facts, key: held[0]! };
      }
      const { record, replayed } = await recordUpload(store, recordOf('event', facts, new Date(now())), budget);
      outcomes.push({ eventName, bucket: record.bucket, object: record.object, outcome: replayed ? 'already recorded' : 'recorded', source: record.source });
    } finally {
      budget.dispose();
    }
  }
  return outcomes;
}

/** The uploads the events recorded or found recorded, by source, in `stats`'s terms. */
export function uploadsOfEvents(outcomes: readonly EventOutcome[]): UploadCounts {
  const counts = noCounts();
  for (const { source } of outcomes) if (source) counts[source]++;
  return uploadCounts(counts);
}

/** The key as given, and what it is if it was URL-encoded (`%XX`, and `+` for a space); one entry when they agree. */
export function keySpellings(key: string): string[] {
  const spellings = new Set([key]);
  if (/[%+]/.test(key)) {
    for (const encoded of [key, key.replace(/\+/g, '%20')]) {
      try {
        const decoded = decodeURIComponent(encoded);
        if (decoded !== '') spellings.add(decoded);
      } catch {
        // Not a valid encoding: that spelling cannot be meant.
      }
    }
  }
  return [...spellings];
}

async function spellingsHeld(oss: OssClient, bucket: string, spellings: string[], etag: string, budget: Budget): Promise<string[]> {
  const facts = await Promise.all(spellings.map((key) => headObject(oss, bucket, key, budget.signal)));
  return spellings.filter((_, index) => facts[index]?.etag === etag);
}

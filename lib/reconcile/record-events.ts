import { createBudget } from '../deadline.js';
import type { UploadStore } from '../store/port.js';
import { recordUpload } from '../store/record-upload.js';
import { factsOfEvent, objectWrite, type OssEventDocument } from './oss-event.js';
import { recordOf } from './records.js';

export interface EventOutcome {
  eventName: string;
  bucket?: string;
  object?: string;
  /** `recorded`; `already recorded` (by its callback, an earlier delivery, a reconcile); `ignored` (not an object write); `malformed`. */
  outcome: 'recorded' | 'already recorded' | 'ignored' | 'malformed';
  error?: string;
}

export const EVENT_BUDGET_MS = 10_000;

/**
 * Record each object an OSS event says was written, as soon as it is stored, under the upload's id
 * (bucket, key, ETag), so the callback for the same upload finds it and replaces it with its own
 * record. A redelivered event writes nothing new. A store failure is thrown, so the platform
 * delivers the event again; an event that can never be recorded (malformed) is reported, not thrown.
 */
export async function recordOssEvents(store: UploadStore, document: OssEventDocument, now: () => number = Date.now): Promise<EventOutcome[]> {
  const outcomes: EventOutcome[] = [];
  for (const entry of document.events) {
    const eventName = String(entry.eventName);
    const operation = objectWrite(entry);
    if (!operation) {
      outcomes.push({ eventName, outcome: 'ignored' });
      continue;
    }
    let upload;
    try {
      upload = recordOf('event', factsOfEvent(entry, operation), new Date(now()));
    } catch (error) {
      outcomes.push({ eventName, outcome: 'malformed', error: (error as Error).message });
      continue;
    }
    const budget = createBudget(now() + EVENT_BUDGET_MS, now);
    try {
      const { replayed } = await recordUpload(store, upload, budget);
      outcomes.push({ eventName, bucket: upload.record.bucket, object: upload.record.object, outcome: replayed ? 'already recorded' : 'recorded' });
    } finally {
      budget.dispose();
    }
  }
  return outcomes;
}

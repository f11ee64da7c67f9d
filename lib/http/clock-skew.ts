import type { IncomingHttpHeaders } from 'node:http';

/** How far our clock may be from the service's before we sign with the service's time instead. */
export const CLOCK_SKEW_THRESHOLD_MS = 240_000;
/** An answer that took longer than this says nothing reliable about the service's clock now. */
const MAX_SAMPLE_AGE_MS = 900_000;

/**
 * Our clock corrected by the service's `Date` header, as the AWS SDK does it (@aws-sdk/core's
 * `AwsSdkSigV4Signer` error and success handlers, `getUpdatedSystemClockOffset`, `isClockSkewed`):
 * signatures carry a time the service checks (DynamoDB and Tablestore refuse one 5 minutes off, OSS
 * 15), and a machine whose clock drifted would otherwise fail every request. The offset moves only
 * when the service's time is `CLOCK_SKEW_THRESHOLD_MS` or more from ours (a `Date` header has
 * 1-second resolution), never from a cached answer (one with an `Age` header) nor from one that took
 * longer than 15 minutes. One per client instance.
 */
export class ServiceClock {
  #offsetMs = 0;

  constructor(readonly localNow: () => number = Date.now) {}

  /** The time to sign with. */
  now(): Date {
    return new Date(this.localNow() + this.#offsetMs);
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /**
   * Learn from an answer's headers; `sentAt` is `localNow()` when the request went out. `date` is the
   * service's time as `Date.parse` reads it, the `Date` header unless the service sends a better one
   * (Tablestore's ISO `x-ots-date`). True when the offset moved, so a request refused for its time is
   * worth one more attempt.
   */
  observe(headers: IncomingHttpHeaders, sentAt: number, date: string | undefined = headers.date): boolean {
    if (typeof date !== 'string' || headers.age !== undefined) return false;
    const serviceTime = Date.parse(date);
    const received = this.localNow();
    if (Number.isNaN(serviceTime) || received - sentAt > MAX_SAMPLE_AGE_MS) return false;
    if (Math.abs(received + this.#offsetMs - serviceTime) < CLOCK_SKEW_THRESHOLD_MS) return false;
    this.#offsetMs = serviceTime - received;
    return true;
  }
}

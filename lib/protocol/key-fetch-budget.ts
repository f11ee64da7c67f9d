export interface KeyFetchBudgetOptions {
  /** Fetches an instance may make at once before it has to wait for the budget to refill. */
  burst?: number;
  /** One more fetch is allowed every this many milliseconds, up to `burst`. */
  refillMs?: number;
  /** Refused URLs counted at once while they wait for a fetch; more are folded in (Misra-Gries). */
  trackedUrls?: number;
  now?: () => number;
}

/** Refused: `waitMs` until the budget has a fetch again (0 when it has one, but another URL is first in line). */
export type BudgetDecision = { granted: true } | { granted: false; waitMs: number };

/**
 * How many key fetches unsigned traffic can cause. Any caller names a key URL before its signature
 * can be checked, so every fetch is on a budget: a bucket of `burst` fetches refilled at one every
 * `refillMs`, never more than `burst + 1 h / refillMs` fetches in any hour (4 + 60 by default),
 * whatever is asked.
 *
 * Who gets a fetch when the budget is short is what keeps a flood of invented URLs from starving a
 * real new key: not the first to ask after a refill, but the URL asked for most while waiting. The
 * counts are kept for a bounded number of URLs with the Misra-Gries summary (a URL asked for more
 * than 1/(trackedUrls + 1) of the time is always among them), halve every `refillMs`, and forget a
 * URL nobody asked for in the last `refillMs`. A real new key is asked for by every callback OSS
 * signs with it; to hold it back, a flood has to name one fresh URL more often than OSS's own
 * callbacks name the key, every `refillMs` (a URL fetched and failed is then answered from the
 * failure memory, asking nothing of the budget).
 */
export class KeyFetchBudget {
  readonly #burst: number;
  readonly #refillMs: number;
  readonly #trackedUrls: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #decayedAt: number;
  /** URL → its count while waiting, and when it was last asked for. */
  readonly #waiting = new Map<string, { count: number; seen: number }>();

  constructor(options: KeyFetchBudgetOptions = {}) {
    this.#burst = options.burst ?? 4;
    this.#refillMs = options.refillMs ?? 60_000;
    this.#trackedUrls = options.trackedUrls ?? 32;
    this.#now = options.now ?? Date.now;
    this.#tokens = this.#burst;
    this.#refilledAt = this.#decayedAt = this.#now();
  }

  /** The most fetches any hour can see: the stated bound. */
  get perHour(): number {
    return this.#burst + Math.floor(3_600_000 / this.#refillMs);
  }

  /** Whether `url` may be fetched now; a grant spends one fetch of the budget. */
  take(url: string): BudgetDecision {
    const now = this.#now();
    this.#refill(now);
    this.#decay(now);
    if (this.#tokens >= 1 && this.#isFirstInLine(url)) {
      this.#tokens -= 1;
      this.#waiting.delete(url);
      return { granted: true };
    }
    this.#count(url, now);
    return { granted: false, waitMs: this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) * this.#refillMs) };
  }

  #refill(now: number): void {
    const gained = (now - this.#refilledAt) / this.#refillMs;
    this.#tokens = Math.min(this.#burst, this.#tokens + gained);
    this.#refilledAt = now;
  }

  /** Counts halve every refill interval; a URL not asked for within one has stopped waiting. */
  #decay(now: number): void {
    const halvings = Math.floor((now - this.#decayedAt) / this.#refillMs);
    if (halvings === 0) return;
    this.#decayedAt += halvings * this.#refillMs;
    for (const [url, entry] of this.#waiting) {
      entry.count /= 2 ** halvings;
      if (entry.count < 1 || now - entry.seen > this.#refillMs) this.#waiting.delete(url);
    }
  }

  #isFirstInLine(url: string): boolean {
    let most = 0;
    for (const { count } of this.#waiting.values()) most = Math.max(most, count);
    return (this.#waiting.get(url)?.count ?? 0) + 1 >= most;
  }

  #count(url: string, now: number): void {
    const entry = this.#waiting.get(url);
    if (entry) {
      entry.count += 1;
      entry.seen = now;
    } else if (this.#waiting.size < this.#trackedUrls) {
      this.#waiting.set(url, { count: 1, seen: now });
    } else {
      // Misra-Gries: one new URL among a full table lowers every count by one instead of taking a place.
      for (const [known, counted] of this.#waiting) if (--counted.count <= 0) this.#waiting.delete(known);
    }
  }
}

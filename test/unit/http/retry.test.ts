import { describe, expect, it } from 'vitest';
import { ExchangeFailure } from '../../../lib/http/exchange.js';
import {
  DYNAMODB_RETRIES,
  INITIAL_RETRY_TOKENS,
  isTransientExchangeFailure,
  RETRY_COST,
  RetryStrategy,
  THROTTLING_RETRY_COST,
  type RetryableKind,
} from '../../../lib/http/retry.js';

class Failure extends Error {
  constructor(readonly kind: RetryableKind | undefined) {
    super(kind ?? 'fatal');
  }
}

/** A strategy on a fake clock that records its waits instead of spending them; `random` 0.5 halves every cap. */
function strategy(options: { random?: () => number } = {}) {
  const waits: number[] = [];
  const clock = { now: 1_000 };
  const retries = new RetryStrategy({
    policy: DYNAMODB_RETRIES,
    classify: (error) => (error instanceof Failure ? error.kind : undefined),
    random: options.random ?? (() => 0.5),
    now: () => clock.now,
    sleep: async (ms) => {
      waits.push(ms);
      clock.now += ms;
    },
  });
  return { retries, waits, clock };
}

/** An attempt that fails with `failures` in turn, then succeeds. */
function attempts(...failures: RetryableKind[]) {
  const made: number[] = [];
  return {
    made,
    attempt: async (index: number) => {
      made.push(index);
      const kind = failures.shift();
      if (kind !== undefined) throw new Failure(kind);
      return 'done';
    },
  };
}

const always = (kind: RetryableKind | undefined) => {
  const made: number[] = [];
  return {
    made,
    attempt: async (index: number): Promise<never> => {
      made.push(index);
      throw new Failure(kind);
    },
  };
};

describe('RetryStrategy (the AWS SDK standard mode)', () => {
  it('makes at most 4 attempts against a throttling service, then fails with the last failure', async () => {
    const { retries, waits } = strategy();
    const call = always('throttling');
    await expect(retries.run(call.attempt)).rejects.toMatchObject({ kind: 'throttling' });
    expect(call.made).toEqual([0, 1, 2, 3]);
    // Full jitter on a 1 s throttling base, doubling: half of 1 s, 2 s and 4 s.
    expect(waits).toEqual([500, 1_000, 2_000]);
  });

  it('waits on the client base after other retryable failures: DynamoDB’s 25 ms, doubling', async () => {
    const { retries, waits } = strategy({ random: () => 0.999 });
    await expect(retries.run(always('transient').attempt)).rejects.toBeInstanceOf(Failure);
    expect(waits).toEqual([24, 49, 99]);
  });

  it('never retries a failure its client does not call retryable', async () => {
    const { retries, waits } = strategy();
    const call = always(undefined);
    await expect(retries.run(call.attempt)).rejects.toMatchObject({ message: 'fatal' });
    expect(call.made).toEqual([0]);
    expect(waits).toEqual([]);
  });

  it('returns the first success and stops', async () => {
    const { retries } = strategy();
    const call = attempts('throttling', 'transient');
    expect(await retries.run(call.attempt)).toBe('done');
    expect(call.made).toEqual([0, 1, 2]);
  });

  it('takes 5 tokens a retry after throttling and 14 after anything else, and gives the last back on success', async () => {
    const { retries } = strategy();
    await expect(retries.run(always('throttling').attempt)).rejects.toBeInstanceOf(Failure);
    expect(retries.capacity).toBe(INITIAL_RETRY_TOKENS - 3 * THROTTLING_RETRY_COST);
    await expect(retries.run(always('transient').attempt)).rejects.toBeInstanceOf(Failure);
    expect(retries.capacity).toBe(INITIAL_RETRY_TOKENS - 3 * THROTTLING_RETRY_COST - 3 * RETRY_COST);
    const before = retries.capacity;
    await retries.run(attempts('transient').attempt);
    expect(retries.capacity).toBe(before);
    await retries.run(async () => 'first time');
    expect(retries.capacity).toBe(before + 1);
  });

  it('shares one quota across calls: once throttling has spent it, calls make one attempt each until successes refill it', async () => {
    const { retries } = strategy();
    let requests = 0;
    const throttled = async () => {
      requests++;
      throw new Failure('throttling');
    };
    const calls = 40;
    for (let i = 0; i < calls; i++) await retries.run(throttled).catch(() => {});
    // 500 tokens buy 100 throttling retries; the other 40 × 4 - 100 - 40 attempts were never made.
    expect(requests).toBe(calls + INITIAL_RETRY_TOKENS / THROTTLING_RETRY_COST);
    expect(retries.capacity).toBe(0);
    requests = 0;
    await retries.run(throttled).catch(() => {});
    expect(requests).toBe(1);
    for (let i = 0; i < THROTTLING_RETRY_COST; i++) await retries.run(async () => 'ok');
    requests = 0;
    await retries.run(throttled).catch(() => {});
    expect(requests).toBe(2);
  });

  it('never begins a wait that would end past the deadline: fails at once with the last failure', async () => {
    const { retries, waits, clock } = strategy();
    const call = always('throttling');
    // The first wait is 500 ms (half of 1 s); 400 ms are left.
    await expect(retries.run(call.attempt, { deadline: clock.now + 400 })).rejects.toMatchObject({ kind: 'throttling' });
    expect(call.made).toEqual([0]);
    expect(waits).toEqual([]);
    expect(retries.capacity).toBe(INITIAL_RETRY_TOKENS);
    // 1.4 s left: the 500 ms wait fits, the 1 s one after it would end at 1.5 s.
    const second = always('throttling');
    await expect(retries.run(second.attempt, { deadline: clock.now + 1_400 })).rejects.toBeInstanceOf(Failure);
    expect(second.made).toEqual([0, 1]);
    expect(waits).toEqual([500]);
  });

  it('stops a wait when the caller aborts, with the signal’s reason, and makes no further attempt', async () => {
    const retries = new RetryStrategy({ policy: DYNAMODB_RETRIES, classify: () => 'throttling', random: () => 0.99 });
    const controller = new AbortController();
    const reason = new Error('deadline');
    let made = 0;
    const pending = retries.run(async () => {
      made++;
      throw new Failure('throttling');
    }, { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 20);
    await expect(pending).rejects.toBe(reason);
    expect(made).toBe(1);
  });

  it('rejects with the signal’s reason when an attempt fails because the caller aborted, never retrying it', async () => {
    const { retries } = strategy();
    const reason = new Error('gone');
    let made = 0;
    await expect(retries.run(async () => {
      made++;
      throw reason;
    }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(made).toBe(0);
  });

  it('counts time limits and the SDK’s Node network codes as transient, not a refused oversized answer', () => {
    const failure = (code: string, sent = true) => new ExchangeFailure(code, code, sent);
    for (const code of ['ConnectTimeout', 'FirstByteTimeout', 'TotalTimeout', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
      expect(isTransientExchangeFailure(failure(code)), code).toBe(true);
    }
    for (const code of ['AnswerTooLarge', 'ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT']) expect(isTransientExchangeFailure(failure(code)), code).toBe(false);
    expect(isTransientExchangeFailure(new Error('ECONNRESET'))).toBe(false);
  });
});

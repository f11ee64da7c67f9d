import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_THRESHOLD_MS, ServiceClock } from '../../../lib/http/clock-skew.js';

const local = Date.parse('2026-03-01T12:00:00Z');
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('ServiceClock', () => {
  it('signs with our own time until the service says otherwise', () => {
    const clock = new ServiceClock(() => local);
    expect(clock.now().getTime()).toBe(local);
  });

  it('moves to the service’s time when its Date header is the threshold or more away, and says so once', () => {
    let now = local;
    const clock = new ServiceClock(() => now);
    const service = local + 10 * 60_000;
    expect(clock.observe({ date: httpDate(service) }, now - 30)).toBe(true);
    expect(clock.offsetMs).toBe(10 * 60_000);
    expect(clock.now().getTime()).toBe(service);
    now += 5_000;
    expect(clock.observe({ date: httpDate(service + 5_000) }, now - 30)).toBe(false);
    expect(clock.now().getTime()).toBe(service + 5_000);
  });

  it('follows a clock behind the service’s and one ahead of it', () => {
    const behind = new ServiceClock(() => local);
    expect(behind.observe({ date: httpDate(local - 20 * 60_000) }, local)).toBe(true);
    expect(behind.offsetMs).toBe(-20 * 60_000);
  });

  it('ignores a skew under the threshold (a Date header has 1 s resolution)', () => {
    const clock = new ServiceClock(() => local);
    expect(clock.observe({ date: httpDate(local + CLOCK_SKEW_THRESHOLD_MS - 1_000) }, local)).toBe(false);
    expect(clock.offsetMs).toBe(0);
  });

  it('reads a time given apart from the headers (Tablestore’s ISO x-ots-date) in place of Date, to the millisecond', () => {
    const clock = new ServiceClock(() => local);
    const service = local + 10 * 60_000 + 123;
    expect(clock.observe({ date: httpDate(local) }, local, new Date(service).toISOString())).toBe(true);
    expect(clock.offsetMs).toBe(10 * 60_000 + 123);
    expect(new ServiceClock(() => local).observe({ date: httpDate(service) }, local, undefined)).toBe(true);
    expect(new ServiceClock(() => local).observe({ age: '12' }, local, new Date(service).toISOString())).toBe(false);
  });

  it('ignores a cached answer, one that took over 15 minutes, and a Date it cannot read', () => {
    const clock = new ServiceClock(() => local);
    const far = httpDate(local + 3_600_000);
    expect(clock.observe({ date: far, age: '12' }, local)).toBe(false);
    expect(clock.observe({ date: far }, local - 900_001)).toBe(false);
    expect(clock.observe({ date: 'yesterday-ish' }, local)).toBe(false);
    expect(clock.observe({}, local)).toBe(false);
    expect(clock.offsetMs).toBe(0);
  });
});

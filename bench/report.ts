/** How every benchmark section reports: a figure for us and a ratio against a baseline run beside it. */
export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  /** Which way is better for this figure, so a reader knows what a ratio above 1 means. */
  better?: 'higher' | 'lower';
  baseline?: { name: string; value: number };
}

export function formatLine({ name, value, unit, baseline }: BenchLine): string {
  const figure = `${name}: ${value.toFixed(value >= 100 ? 0 : 2)} ${unit}`;
  if (!baseline) return figure;
  const ratio = value / baseline.value;
  return `${figure}  | ${baseline.name}: ${baseline.value.toFixed(baseline.value >= 100 ? 0 : 2)} ${unit}  | ratio ${ratio.toFixed(3)}`;
}

/** Run `fn` repeatedly for about `ms` milliseconds (after a warm-up) and return operations per second. */
export async function opsPerSecond(fn: () => unknown, ms = 1000): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let count = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 50; i++) await fn();
    count += 50;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

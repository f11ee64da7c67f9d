/** How every benchmark section reports: a figure for us and a ratio against a baseline run beside it. */
export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  /** Which way is better for this figure, so a reader knows what a ratio above 1 means. */
  better?: 'higher' | 'lower';
  baseline?: { name: string; value: number };
}

/** Rates (`…/s`) are better high; times and sizes are better low. The ratio ours/baseline goes the same way. */
export function betterWhen(unit: string): 'higher' | 'lower' {
  return unit.endsWith('/s') ? 'higher' : 'lower';
}

const figure = (value: number, unit: string) => `${value.toFixed(value >= 100 ? 0 : 2)} ${unit}`;

/** A section's lines as a table: what, ours, the baseline, ours/baseline, and which way is better. */
export function formatTable(lines: BenchLine[]): string {
  const rows = [
    ['figure', 'ours', 'baseline', 'ratio', 'better'],
    ...lines.map(({ name, value, unit, baseline }) => [
      name,
      figure(value, unit),
      baseline ? `${baseline.name}: ${figure(baseline.value, unit)}` : '-',
      baseline ? (value / baseline.value).toFixed(3) : '-',
      betterWhen(unit),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
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

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The other runtimes the suite runs code on, from `test/runtimes/` (installed by `npm test`'s
 * pretest step, scripts/test-runtimes.ts). A missing one is a failed install, not a reason to skip.
 */
const dir = fileURLToPath(new URL('../runtimes/node_modules/', import.meta.url));

export const RUNTIMES = {
  node22: `${dir}node22/bin/node`,
  node24: `${dir}node24/bin/node`,
  bun: `${dir}.bin/bun`,
  deno: `${dir}.bin/deno`,
} as const;

export type RuntimeName = keyof typeof RUNTIMES;

/** The runtime's executable; throws, naming the fix, when it is not installed. */
export function runtime(name: RuntimeName): string {
  const path = RUNTIMES[name];
  if (!existsSync(path)) throw new Error(`${name} is not installed at ${path}: run npm test (its pretest step installs test/runtimes), or npm ci --prefix test/runtimes`);
  return path;
}

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestResult } from '../support/portable-vitest.js';
import { runtime, type RuntimeName } from '../support/runtimes.js';

/**
 * The SQLite store contract (test/contract/sqlite-store.contract.ts, which vitest runs on Node 20
 * with better-sqlite3) on every other driver the machine has: node:sqlite on Node 22 and 24 and on
 * Deno, bun:sqlite on Bun. Vitest does not run there, so the suite is bundled into a script with a
 * stand-in for vitest's describe/it and vitest's own expect (test/support/portable-vitest.ts), and
 * each runtime runs it and reports every test.
 */
const RUNTIMES: [RuntimeName, string][] = [
  ['node22', 'node:sqlite'],
  ['node24', 'node:sqlite'],
  ['bun', 'bun:sqlite'],
  ['deno', 'node:sqlite'],
];

describe('the SQLite store contract on every runtime', () => {
  // Under node_modules, so a runtime resolving a package from the scripts finds this checkout's.
  const parent = join(process.cwd(), 'node_modules', '.cache', 'oss-callback-tests');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'sqlite-runtimes-'));
  const suite = join(dir, 'sqlite-contract.mjs');
  const racer = join(dir, 'sqlite-racer.mjs');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    // Everything in the scripts, packages included: Deno resolves nothing from node_modules unasked.
    const common = { bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' } as const;
    await build({ ...common, entryPoints: ['test/support/sqlite-contract-script.ts'], outfile: suite, alias: { vitest: './test/support/portable-vitest.ts' } });
    await build({ ...common, entryPoints: ['test/support/sqlite-racer.ts'], outfile: racer });
  });

  for (const [name, driver] of RUNTIMES) {
    it(`passes on ${name}, with ${driver}`, async () => {
      const args = name === 'deno' ? ['run', '--allow-all', suite] : [suite];
      const { stdout } = await promisify(execFile)(runtime(name), args, {
        env: { ...process.env, SQLITE_CONTRACT_RACER: racer },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 300_000,
      });
      const report = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { driver: string; results: TestResult[] };
      const failures = report.results.filter((result) => !result.ok).map((result) => `${result.name}\n${result.error}`);

      expect(report.driver).toBe(driver);
      expect(failures).toEqual([]);
      // The whole suite ran: the store contract and the SQLite tests, none left out.
      expect(report.results.length).toBeGreaterThanOrEqual(32);
    }, 320_000);
  }
});

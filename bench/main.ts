import { silenceAwsSdkNodeNotice } from '../cli/aws-sdk-notice.js';
import { bundleFunction } from '../scripts/functions-bundle.js';
import { formatTable, type BenchLine } from './report.js';

/**
 * `npm run bench [-- section ...]`: every section measures a figure of ours against a baseline run in
 * the same process (or on the same machine, for cold starts), and prints the ratio. No section
 * asserts a time. It runs from source through tsx: only the cold-start section needs a build, the
 * callback bundle, which it makes first (esbuild, about a second).
 */
const SECTIONS: Record<string, { summary: string; load: () => Promise<{ run(): Promise<BenchLine[]> }> }> = {
  verify: { summary: "verifyCallback with a warm key cache against a bare crypto.verify", load: () => import('./verify.js') },
  server: { summary: 'callbacks through the local server on SQLite, 32 in flight, against a minimal hand-written receiver and a bare node:http server', load: () => import('./server.js') },
  'cold-start': { summary: "a fresh process's first callback through each platform's bundle (Lambda: into dynalite; Function Compute: into the Tablestore stand-in, against a hand-written floor) against a node doing nothing", load: () => import('./cold-start.js') },
  store: { summary: 'callbacks recorded in SQLite and dynalite against a bare write of the same record', load: () => import('./store.js') },
  reconcile: { summary: 'reconcile over a fake bucket of 100,000 objects, first run and second run, against a loop that only lists it', load: () => import('./reconcile.js') },
};

const SPREAD_NOTE = `Ratios move between runs: on the 2-core CI machine the server ratio read 0.41 on one run and 0.16 on
the next. Compare figures from one machine and one run, and repeat a section before reading much into
a change smaller than that.`;

const USAGE = `Usage: npm run bench [-- section ...]

Measures the product against a baseline run beside it and prints, per section, each figure, the
baseline, their ratio and which way is better (higher for rates, lower for times and sizes).

Sections (default: all, in this order):
${Object.entries(SECTIONS)
  .map(([name, { summary }]) => `  ${name.padEnd(11)} ${summary}`)
  .join('\n')}

The cold-start section bundles functions/callback-lambda.ts and callback-fc.ts first (as npm run build does).

${SPREAD_NOTE}
`;

function selectedSections(argv: string[]): string[] {
  const unknown = argv.find((name) => !Object.hasOwn(SECTIONS, name));
  if (unknown !== undefined) {
    throw new Error(`${unknown.startsWith('-') ? 'unknown option' : 'unknown section'} ${JSON.stringify(unknown)}; the sections are ${Object.keys(SECTIONS).join(', ')}`);
  }
  return argv.length ? Object.keys(SECTIONS).filter((name) => argv.includes(name)) : Object.keys(SECTIONS);
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let sections: string[];
  try {
    sections = selectedSections(argv);
  } catch (error) {
    process.stderr.write(`npm run bench: ${(error as Error).message}\nsee \`npm run bench -- --help\`\n`);
    return 2;
  }
  silenceAwsSdkNodeNotice();
  if (sections.includes('cold-start')) for (const name of ['callback-lambda', 'callback-fc']) await bundleFunction(name);
  for (const name of sections) {
    const { run } = await SECTIONS[name]!.load();
    console.log(`## ${name}\n${formatTable(await run())}\n`);
  }
  console.log(SPREAD_NOTE);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

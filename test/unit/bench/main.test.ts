import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../../bench/report.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `npm run bench -- <argv>` without npm's lines around it. */
function bench(argv: string[]) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...argv], { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

describe('npm run bench', () => {
  it('prints its usage, every section and the note on run-to-run spread for --help, and runs nothing', async () => {
    // Act
    const run = await bench(['--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run bench \[-- section \.\.\.\]/);
    for (const section of ['verify', 'server', 'cold-start', 'store', 'reconcile']) expect(run.stdout).toMatch(new RegExp(`^  ${section} +\\S`, 'm'));
    expect(run.stdout).toContain('the server ratio read 0.41 on one run and 0.16 on\nthe next');
    expect(run.stdout).not.toContain('## ');
  });

  it.each([
    { argv: ['verify', 'nope'], message: 'unknown section "nope"' },
    { argv: ['--frob'], message: 'unknown option "--frob"' },
  ])('refuses $argv with exit 2, naming it and the sections, and runs nothing', async ({ argv, message }) => {
    // Act
    const run = await bench(argv);

    // Assess
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `npm run bench: ${message}; the sections are verify, server, cold-start, store, reconcile\nsee \`npm run bench -- --help\`\n`,
    });
  });

  it('runs only the sections named, as a table saying which way is better, then the spread note', async () => {
    // Act
    const run = await bench(['verify']);

    // Assess
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual(['## verify', expect.stringMatching(/^figure +ours +baseline +ratio +better$/)]);
    expect(lines[2]).toMatch(/^verifyCallback \(warm key cache\) +\d+ verifications\/s +bare crypto\.verify: \d+ verifications\/s +\d\.\d{3} +higher$/);
    expect(run.stdout).not.toContain('## server');
    expect(run.stdout).toContain('Ratios move between runs');
  });
});

describe('bench report', () => {
  it('says higher is better for rates and lower for times and sizes, and leaves the ratio out without a baseline', () => {
    // Act
    const table = formatTable([
      { name: 'rate', value: 200, unit: 'records/s', baseline: { name: 'bare', value: 400 } },
      { name: 'p99', value: 4.5, unit: 'ms', baseline: { name: 'bare p99', value: 1.5 } },
      { name: 'entry', value: 28.25, unit: 'KiB' },
    ]);

    // Assess
    expect(table.split('\n')).toEqual([
      'figure  ours           baseline             ratio  better',
      'rate    200 records/s  bare: 400 records/s  0.500  higher',
      'p99     4.50 ms        bare p99: 1.50 ms    3.000  lower',
      'entry   28.25 KiB      -                    -      lower',
    ]);
  });
});

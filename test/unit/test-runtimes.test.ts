import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runtime } from '../support/runtimes.js';

/** The runtimes other suites run the library on are installed and are the versions they claim to be. */
describe('the test runtimes (test/runtimes)', () => {
  const version = (name: Parameters<typeof runtime>[0], args: string[]) => execFileSync(runtime(name), args, { encoding: 'utf8', timeout: 20_000 });

  it('has Node 22 (with node:sqlite) and Node 24', () => {
    expect(version('node22', ['-p', 'process.versions.node'])).toMatch(/^22\.(\d+)\./);
    expect(version('node24', ['-p', 'process.versions.node'])).toMatch(/^24\./);
    expect(version('node22', ['--no-warnings', '-p', "typeof require('node:sqlite').DatabaseSync"]).trim()).toBe('function');
  });

  it('has Bun and Deno', () => {
    expect(version('bun', ['--version'])).toMatch(/^1\.\d+\.\d+/);
    expect(version('deno', ['--version'])).toMatch(/^deno 2\./);
  });
});

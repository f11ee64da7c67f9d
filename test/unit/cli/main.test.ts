import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli-io.js';

/** The commands `oss-callback --help` lists, read from its output so a new command is covered too. */
async function listedCommands(): Promise<string[]> {
  const { stdout } = await runCli(['--help']);
  const section = stdout.split('Commands:\n')[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}(\S+)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

describe('oss-callback', () => {
  it('prints the command list for --help and exits 0', async () => {
    // Act
    const run = await runCli(['--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: oss-callback <command> [options]');
    expect(await listedCommands()).toEqual(expect.arrayContaining(['serve', 'verify', 'sign', 'keygen', 'template']));
  });

  it('prints the command list and exits 2 when no command is given', async () => {
    // Act
    const run = await runCli([]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('Commands:');
  });

  it('refuses an unknown command with exit 2, one line and where to read more', async () => {
    // Act
    const run = await runCli(['frobnicate']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('oss-callback: unknown command "frobnicate"\nsee `oss-callback --help`\n');
  });

  it('prints the version in package.json for --version', async () => {
    // Prepare
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

    // Act
    const run = await runCli(['--version']);

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('names --port, not PORT, for a port that is not a number', async () => {
    // Act
    const run = await runCli(['serve', '--port', 'abc'], { env: { PORT: '9000' } });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('oss-callback serve: --port must be a whole number from 0 to 65535, got "abc"\nsee `oss-callback serve --help`\n');
  });

  it('answers --help for every listed command with its usage, exit 0 and nothing on stderr', async () => {
    // Prepare
    const commands = await listedCommands();

    // Act
    const runs = await Promise.all(commands.map(async (name) => ({ name, run: await runCli([name, '--help']) })));

    // Assess
    for (const { name, run } of runs) {
      expect({ name, code: run.code, stderr: run.stderr }).toEqual({ name, code: 0, stderr: '' });
      expect(run.stdout).toMatch(new RegExp(`^Usage: oss-callback ${name}\\b`));
    }
  });

  it('answers -h like --help, even after other arguments', async () => {
    // Act
    const run = await runCli(['verify', 'capture.http', '-h']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: oss-callback verify /);
  });
});

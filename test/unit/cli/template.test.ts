import { describe, expect, it } from 'vitest';
import { callbackBodyTemplate } from '../../../lib/protocol/templates.js';
import { runCli } from '../../support/cli-io.js';

describe('oss-callback template', () => {
  it.each([
    { title: 'the form template by default', argv: [], type: 'form' as const, contentType: 'application/x-www-form-urlencoded' },
    { title: 'the form template for --type form', argv: ['--type', 'form'], type: 'form' as const, contentType: 'application/x-www-form-urlencoded' },
    { title: 'the JSON template for --type json', argv: ['--type', 'json'], type: 'json' as const, contentType: 'application/json' },
  ])('prints $title, and its callbackBodyType on stderr', async ({ argv, type, contentType }) => {
    // Act
    const run = await runCli(['template', ...argv]);

    // Assess
    expect(run).toMatchObject({ code: 0, stdout: `${callbackBodyTemplate(type)}\n`, stderr: `callbackBodyType: ${contentType}\n` });
  });

  it('adds each --var as a custom variable', async () => {
    // Act
    const run = await runCli(['template', '--var', 'uid', '--var', 'x:album']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().endsWith('&x:uid=${x:uid}&x:album=${x:album}')).toBe(true);
  });

  it.each([
    { title: 'a --type other than form or json', argv: ['template', '--type', 'xml'], message: '--type must be form or json, got "xml"' },
    { title: 'an invalid custom variable name', argv: ['template', '--var', 'User ID'], message: 'custom variable "User ID" must be lower-case letters, digits, _ - or .' },
    { title: 'a positional argument', argv: ['template', 'json'], message: 'unexpected argument "json"' },
  ])('exits 2 with one line naming the mistake for $title', async ({ argv, message }) => {
    // Act
    const run = await runCli(argv);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`oss-callback template: ${message}`);
    expect(run.stderr.split('\n')).toEqual([expect.stringContaining(message), 'see `oss-callback template --help`', '']);
  });
});

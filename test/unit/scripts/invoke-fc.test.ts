import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** `npm run invoke:<door> -- <file>` without npm's own lines around it. */
async function invoke(door: string, file: string) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/invoke-fc.ts', door, file], { cwd: ROOT }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('npm run invoke:fc3 / invoke:fc2 with a bad event file', () => {
  it('names a missing file in one line, with no stack trace, and exits 2', async () => {
    // Act
    const run = await invoke('fc3', 'events/fc3/no-such-event.json');

    // Assess
    expect(run).toEqual({ code: 2, stderr: 'npm run invoke:fc3: events/fc3/no-such-event.json: no such file (the samples are in events/fc3/)\n' });
  });

  it('names an FC 2.0 request file that is not JSON in one line', async () => {
    // Prepare
    const file = join(tempDir(), 'request.json');
    writeFileSync(file, 'POST /oss/callback HTTP/1.1\r\n');

    // Act
    const run = await invoke('fc2', file);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^npm run invoke:fc2: ${file}: not JSON: .*\\(the samples are in events/fc2/\\)\\n$`));
  });
});

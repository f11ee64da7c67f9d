import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS_DIR, writeEvents } from '../../../scripts/events.js';
import { tempDir } from '../../support/temp-dir.js';

describe('npm run events (writeEvents)', () => {
  it('rewrites every door folder, keeps the README beside them, and writes exactly the committed events', async () => {
    // Prepare
    const dir = tempDir();
    writeFileSync(join(dir, 'README.md'), '# kept\n');
    mkdirSync(join(dir, 'fc3'));
    writeFileSync(join(dir, 'fc3', 'stale.json'), '{}');

    // Act
    const written = await writeEvents(dir);

    // Assess
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# kept\n');
    expect(existsSync(join(dir, 'fc3', 'stale.json'))).toBe(false);
    const committed = readdirSync(EVENTS_DIR, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'README.md')
      .map((entry) => relative(EVENTS_DIR, join(entry.parentPath, entry.name)))
      .sort();
    expect(written.map((file) => relative(dir, file)).sort()).toEqual(committed);
    for (const file of committed) expect(readFileSync(join(dir, file)).equals(readFileSync(join(EVENTS_DIR, file))), file).toBe(true);
  });
});

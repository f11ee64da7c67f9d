import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../lib/store/open-store.js';
import { tempDir } from '../../support/temp-dir.js';

const dir = tempDir('oss-callback-open-');

describe('openStore', () => {
  it('opens memory: and sqlite:<path>, creating the folder', async () => {
    const memory = await openStore('memory:');
    expect(memory.description).toBe('memory:');
    const path = join(dir, 'nested', 'uploads.db');
    const sqlite = await openStore(`sqlite:${path}`);
    expect(sqlite.description).toBe(`sqlite:${path}`);
    expect(await sqlite.list({})).toEqual([]);
    await Promise.all([memory.close(), sqlite.close()]);
  });

  it.each(['', 'uploads.db', 'sqlite:', 'memory:x', 'dynamodb:ab', 'dynamodb:bad/name', 'tablestore:instance', 'tablestore:a/b/c', 'postgres://db'])(
    'refuses %j, naming the accepted forms',
    async (uri) => {
      await expect(openStore(uri)).rejects.toThrow(
        `the store "${uri}" is not one this product opens; use sqlite:<path>, memory:, dynamodb:<table> or tablestore:<instance>/<table>`,
      );
    },
  );
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openMemory } from '../../../lib/store/open-memory.js';
import { openStore } from '../../../lib/store/open-store.js';
import { openStoreWith } from '../../../lib/store/store-uri.js';
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

  it('refuses, by name, a store the openers given do not include, naming the ones they do', async () => {
    await expect(openStoreWith({ memory: openMemory }, 'sqlite:./data/uploads.db')).rejects.toThrow(
      'the store "sqlite:./data/uploads.db" is not in this bundle, which opens memory:',
    );
    expect((await openStoreWith({ memory: openMemory }, 'memory:')).description).toBe('memory:');
  });
});

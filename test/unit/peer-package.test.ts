import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { withPeers } from '../../lib/peer-package.js';

/** A package that is never installed, imported as a store adapter imports its SDK. */
const importMissing = () => import('oss-upload-callback-missing-peer' as string);

describe('withPeers: optional peers named when missing', () => {
  it('names the one package to install', async () => {
    const error = await withPeers(['oss-upload-callback-missing-peer'], 'the sqlite: store', importMissing).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('the sqlite: store needs the package oss-upload-callback-missing-peer: npm install oss-upload-callback-missing-peer');
  });

  it('names every package of a feature that needs several, and installs the ones missing', async () => {
    const needs = ['oss-upload-callback-missing-a', 'busboy', 'oss-upload-callback-missing-b'] as const;
    const error = await withPeers(needs, 'the simulator', () => import('oss-upload-callback-missing-a' as string)).catch((caught: unknown) => caught);

    expect((error as Error).message).toBe(
      'the simulator needs the packages oss-upload-callback-missing-a, busboy, oss-upload-callback-missing-b (not installed: oss-upload-callback-missing-a, oss-upload-callback-missing-b): ' +
        'npm install oss-upload-callback-missing-a oss-upload-callback-missing-b',
    );
  });

  it.each([
    ['Deno', { code: 'ERR_MODULE_NOT_FOUND', message: 'Import "tablestore" not a dependency' }],
    ['require()', { code: 'MODULE_NOT_FOUND', message: "Cannot find module 'tablestore'\nRequire stack:\n- /app/x.js" }],
  ])('knows a missing package as %s reports it', async (_runtime, failure) => {
    const error = await withPeers(['tablestore'], 'the tablestore: store', () => Promise.reject(Object.assign(new Error(failure.message), { code: failure.code }))).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('the tablestore: store needs the package tablestore: npm install tablestore');
  });

  it('reports any other failure as it is, a module missing inside a peer included', async () => {
    const error = await withPeers(['tablestore'], 'the tablestore: store', importMissing).catch((caught: unknown) => caught);

    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
  });

  it('returns what the load returns', async () => {
    expect(await withPeers(['tablestore'], 'x', async () => 42)).toBe(42);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction, type BundledFunction } from '../../../scripts/functions-bundle.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * What each deployed bundle is made of, from esbuild's own list of the files it bundled: each
 * platform's callback entry carries the store that platform can use (and memory:), never the other
 * platform's SDK; the ticket function carries no store; and no bundle carries SQLite, whose native
 * addon cannot run from one.
 */
const dir = tempDir('bundles-');
const bundles = new Map<string, BundledFunction>();

beforeAll(async () => {
  for (const name of ['callback-lambda', 'callback-fc', 'ticket']) bundles.set(name, await bundleFunction(name, dir));
}, 60_000);

function madeOf(name: string) {
  const inputs = bundles.get(name)!.inputs;
  return {
    adapters: inputs.flatMap((input) => /^lib\/store\/(memory|sqlite|dynamodb|tablestore)\.ts$/.exec(input)?.[1] ?? []).sort(),
    packages: [...new Set(inputs.flatMap((input) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []))],
  };
}

const AWS_SDK = /^@(aws-sdk|smithy)\//;

describe('the function bundles', () => {
  it('Lambda: the DynamoDB and memory stores, no Tablestore', () => {
    const { adapters, packages } = madeOf('callback-lambda');
    expect(adapters).toEqual(['dynamodb', 'memory']);
    expect(packages.filter((name) => name === 'tablestore')).toEqual([]);
  });

  it('Function Compute: the Tablestore and memory stores, no AWS SDK (@aws-sdk, @smithy)', () => {
    const { adapters, packages } = madeOf('callback-fc');
    expect(adapters).toEqual(['memory', 'tablestore']);
    expect(packages).toContain('tablestore');
    expect(packages.filter((name) => AWS_SDK.test(name))).toEqual([]);
  });

  it('the ticket function: no store at all', () => {
    const { adapters, packages } = madeOf('ticket');
    expect(adapters).toEqual([]);
    expect(packages.filter((name) => name === 'tablestore' || AWS_SDK.test(name))).toEqual([]);
  });

  it('none carries SQLite', () => {
    for (const name of bundles.keys()) expect(madeOf(name).packages, name).not.toContain('better-sqlite3');
  });
});

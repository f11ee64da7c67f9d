import { beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction, type BundledFunction } from '../../../scripts/functions-bundle.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * What each deployed bundle is made of, from esbuild's own list of the files it bundled: each
 * platform's callback entry carries the store that platform can use (and memory:), never the other
 * platform's SDK; the ticket function carries no store; no bundle carries SQLite, whose native
 * addon cannot run from one; and on Function Compute the Tablestore SDK sits only behind the import
 * that `store init` and listing make, never in what a callback, a ticket or an event loads.
 */
const dir = tempDir('bundles-');
const bundles = new Map<string, BundledFunction>();

beforeAll(async () => {
  for (const name of ['callback-lambda', 'callback-fc', 'reconcile-fc', 'ticket']) bundles.set(name, await bundleFunction(name, dir));
}, 60_000);

function madeOf(name: string) {
  const inputs = bundles.get(name)!.inputs;
  return {
    adapters: inputs.flatMap((input) => /^lib\/store\/(memory|sqlite|dynamodb|tablestore)\.ts$/.exec(input)?.[1] ?? []).sort(),
    packages: [...new Set(inputs.flatMap((input) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1] ?? []))],
  };
}

const AWS_SDK = /^@(aws-sdk|smithy)\//;
const TABLESTORE_SDK = 'node_modules/tablestore/';
/** The module whose dynamic import is the only way to the SDK: what `init` and `list` load. */
const SDK_SIDE = 'lib/store/tablestore-admin.ts';

/**
 * The files a run of the function may load: its entry and everything reachable from it, on demand
 * too (every store adapter, ticket step and confirm step it carries), except through the import of
 * `stopAt`'s chunk.
 */
function loadable(name: string, stopAt: string): string[] {
  const { outputs, entry, dir } = bundles.get(name)!;
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path) || outputs.get(path)?.entryPoint === stopAt) return;
    seen.add(path);
    for (const imported of outputs.get(path)?.imports ?? []) visit(imported.path);
  };
  visit(entry.slice(dir.length + 1));
  return [...seen];
}

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

  it.each(['callback-fc', 'reconcile-fc'])('%s: no Tablestore SDK in what a callback, a ticket or an event loads; only init and listing reach it', (name) => {
    const { outputs } = bundles.get(name)!;
    const sdkIn = (paths: string[]) => paths.filter((path) => outputs.get(path)!.inputs.some((input) => input.startsWith(TABLESTORE_SDK)));
    const reached = loadable(name, SDK_SIDE);
    expect(reached.some((path) => outputs.get(path)!.entryPoint === 'lib/store/tablestore.ts')).toBe(true);
    expect(sdkIn(reached)).toEqual([]);
    // Through SDK_SIDE's import, and only there, the SDK is in the artifact: the check above can fail.
    // It is a chunk of its own (lib/store/import-tablestore-sdk.js imports it, for webpack's sake, with
    // a dynamic import) that only SDK_SIDE's chunk imports, and only tablestore.ts imports that one.
    const importersOf = (paths: string[]) => [...outputs].filter(([, output]) => output.imports.some((imported) => paths.includes(imported.path))).map(([path]) => path);
    const sdkChunks = sdkIn([...outputs.keys()]);
    expect(sdkChunks.map((path) => outputs.get(path)!.entryPoint)).toEqual(['node_modules/tablestore/index.js']);
    const sdkSide = importersOf(sdkChunks);
    expect(sdkSide.map((path) => outputs.get(path)!.entryPoint)).toEqual([SDK_SIDE]);
    expect(importersOf(sdkSide).map((path) => outputs.get(path)!.entryPoint)).toEqual(['lib/store/tablestore.ts']);
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

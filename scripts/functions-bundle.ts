import { readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import esbuildOptions from './esbuild-options.cjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS_DIR = join(ROOT, 'functions');
export const BUNDLE_DIR = join(ROOT, 'dist', 'functions');

export interface BundledFunction {
  name: string;
  /** The folder to deploy: the entry, its chunks and nothing else. */
  dir: string;
  /** `<dir>/<name>.mjs`; handlers are `<name>.<export>`. */
  entry: string;
  /** Bytes of the entry alone: what a cold start loads before any store chunk. */
  entryBytes: number;
  /** Every file in the artifact, with its size. */
  files: { path: string; bytes: number }[];
}

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => basename(file, '.ts'));
}

/** Bundle one function into `dist/functions/<name>/`, replacing what was there. */
export async function bundleFunction(name: string): Promise<BundledFunction> {
  const dir = join(BUNDLE_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  await build({
    ...esbuildOptions.functionBuildOptions,
    entryPoints: [join(FUNCTIONS_DIR, `${name}.ts`)],
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
  const files = listFiles(dir).map((path) => ({ path: relative(dir, path), bytes: statSync(path).size }));
  const entry = join(dir, `${name}.mjs`);
  return { name, dir, entry, entryBytes: statSync(entry).size, files };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) =>
    item.isDirectory() ? listFiles(join(dir, item.name)) : [join(dir, item.name)],
  );
}

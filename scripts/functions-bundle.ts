import { copyFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import esbuildOptions from './esbuild-options.cjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS_DIR = join(ROOT, 'functions');
export const BUNDLE_DIR = join(ROOT, 'dist', 'functions');

export interface BundledFunction {
  name: string;
  /** The folder to deploy: the entry, its chunks and the package.json that makes them ES modules. */
  dir: string;
  /** `<dir>/<name>.js`; handlers are `<name>.<export>`. */
  entry: string;
  /** Bytes of the entry alone: what a cold start loads before any store chunk. */
  entryBytes: number;
  /** Every file in the artifact, with its size. */
  files: { path: string; bytes: number }[];
  /** Every source file bundled, relative to the project (`lib/…`, `node_modules/…`): what the artifact is made of. */
  inputs: string[];
  /** Each JavaScript file written, by its path in `dir`: the sources in it and the files it imports, at load or on demand. */
  outputs: Map<string, BundledOutput>;
}

export interface BundledOutput {
  /** The module a chunk of its own was made for: an entry or a dynamic import's target. */
  entryPoint: string | undefined;
  inputs: string[];
  /** Files of the artifact only (paths in `dir`), not Node's built-ins. */
  imports: { path: string; dynamic: boolean }[];
}

export function functionNames(): string[] {
  return readdirSync(FUNCTIONS_DIR)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => basename(file, '.ts'));
}

/** Bundle one function into `<outDir>/<name>/` (default `dist/functions/`), replacing what was there. */
export async function bundleFunction(name: string, outDir = BUNDLE_DIR): Promise<BundledFunction> {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  const { metafile } = await build({
    ...esbuildOptions.functionBuildOptionsFor(name),
    entryPoints: [join(FUNCTIONS_DIR, `${name}.ts`)],
    outdir: dir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'warning',
  });
  copyFileSync(join(FUNCTIONS_DIR, 'package.json'), join(dir, 'package.json'));
  const files = listFiles(dir).map((path) => ({ path: relative(dir, path), bytes: statSync(path).size }));
  const entry = join(dir, `${name}.js`);
  const inDir = (path: string) => relative(dir, join(ROOT, path));
  const outputs = new Map(
    Object.entries(metafile.outputs).map(([path, output]) => [
      inDir(path),
      {
        entryPoint: output.entryPoint,
        inputs: Object.keys(output.inputs),
        imports: output.imports.filter((imported) => !imported.external).map((imported) => ({ path: inDir(imported.path), dynamic: imported.kind === 'dynamic-import' })),
      },
    ]),
  );
  return { name, dir, entry, entryBytes: statSync(entry).size, files, inputs: Object.keys(metafile.inputs), outputs };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((item) =>
    item.isDirectory() ? listFiles(join(dir, item.name)) : [join(dir, item.name)],
  );
}

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll } from 'vitest';

/**
 * Bundle a TypeScript module that imports this checkout's files (paths relative to the repository
 * root) into a script plain `node` runs, so tests can use real separate processes (or import it, for
 * source the test runner cannot compile, such as NestJS's legacy decorators). It is written
 * under node_modules/.cache so the packages left outside the bundle resolve as they do here.
 */
export async function bundleScript(name: string, source: string, compilerOptions: { experimentalDecorators?: boolean } = {}): Promise<string> {
  const parent = join(process.cwd(), 'node_modules', '.cache', 'oss-callback-tests');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, `${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const outfile = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    // Frameworks with decorators of their own (NestJS) need TypeScript's legacy ones.
    tsconfigRaw: { compilerOptions },
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}

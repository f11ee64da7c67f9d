/**
 * The package's library build (`npm run build`, and the packed-install tests): its JavaScript
 * compiled without comments, the declarations of its public API with their docs, and the
 * hand-written JavaScript that tsc does not compile copied beside them (lib/runtime-import.js, whose
 * bundler directives are comments the first pass would strip).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HAND_WRITTEN = ['lib/runtime-import.js', 'lib/runtime-import.d.ts', 'lib/store/import-tablestore-sdk.js', 'lib/store/import-tablestore-sdk.d.ts'];

export function buildLibrary(outDir = join(ROOT, 'dist')): void {
  const tsc = (...flags: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, ...flags], { stdio: 'inherit' });
  tsc('--removeComments');
  tsc('--emitDeclarationOnly');
  for (const file of HAND_WRITTEN) copyFileSync(join(ROOT, file), join(outDir, file));
  // tsc writes 0644; npm sets the bin's mode only when it links it, so a `npx oss-callback` in the
  // project, whose link npm keeps in its cache, would otherwise meet a rebuilt CLI it cannot execute.
  chmodSync(join(outDir, 'cli/bin.js'), 0o755);
  pruneDeclarations(outDir);
}

/**
 * Only the declarations an app's compiler can reach from the entry points' `types` are packed: an
 * internal module's (a client's wire format, the reconcile function) documents nothing a user can
 * import, and they were most of the tarball's declarations.
 */
function pruneDeclarations(outDir: string): void {
  const { exports } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string }> };
  const entries = Object.values(exports).flatMap((target) => (typeof target === 'string' ? [] : [resolve(outDir, '..', target.types)]));
  const options = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] };
  const reachable = new Set(ts.createProgram(entries, options).getSourceFiles().map((file) => resolve(file.fileName)));
  const lib = join(outDir, 'lib');
  for (const entry of readdirSync(lib, { recursive: true, withFileTypes: true })) {
    const path = resolve(entry.parentPath, entry.name);
    if (entry.isFile() && path.endsWith('.d.ts') && !reachable.has(path)) rmSync(path);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildLibrary();

/**
 * The package's library build (`npm run build`, and the packed-install tests): its JavaScript
 * compiled without comments, its declarations with their docs, and the hand-written JavaScript that
 * tsc does not compile copied beside them (lib/runtime-import.js, whose bundler directives are
 * comments the first pass would strip).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HAND_WRITTEN = ['lib/runtime-import.js', 'lib/runtime-import.d.ts', 'lib/store/import-tablestore-sdk.js', 'lib/store/import-tablestore-sdk.d.ts'];

export function buildLibrary(outDir = join(ROOT, 'dist')): void {
  const tsc = (...flags: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, ...flags], { stdio: 'inherit' });
  tsc('--removeComments');
  tsc('--emitDeclarationOnly');
  for (const file of HAND_WRITTEN) copyFileSync(join(ROOT, file), join(outDir, file));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildLibrary();

/**
 * `npm run build:functions`: bundle every `functions/*.ts` into `dist/functions/<name>/` and report
 * sizes: the entry a cold start loads, and the chunks that load only on demand (each store adapter
 * with its SDK, when UPLOAD_STORE names it).
 */
import { bundleFunction, functionNames } from './functions-bundle.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

for (const name of functionNames()) {
  const bundled = await bundleFunction(name);
  const total = bundled.files.reduce((sum, file) => sum + file.bytes, 0);
  console.log(`${name}: entry ${kb(bundled.entryBytes)}, artifact ${kb(total)} in ${bundled.files.length} files → ${bundled.dir}`);
  // Chunks named after a module are dynamic-import entries (the store adapters); the rest are shared.
  for (const file of bundled.files.filter((f) => /^chunks\/(?!chunk-|dist-es-)/.test(f.path)).sort((a, b) => b.bytes - a.bytes)) {
    console.log(`  loaded on demand: ${file.path}  ${kb(file.bytes)}`);
  }
}

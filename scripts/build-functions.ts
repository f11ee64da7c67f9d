/**
 * `npm run build:functions`: bundle every `functions/*.ts` into `dist/functions/<name>/` and report
 * sizes: the entry a cold start loads, and each store chunk that loads only when configured.
 */
import { bundleFunction, functionNames } from './functions-bundle.js';

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

for (const name of functionNames()) {
  const bundled = await bundleFunction(name);
  const total = bundled.files.reduce((sum, file) => sum + file.bytes, 0);
  console.log(`${name}: entry ${kb(bundled.entryBytes)}, artifact ${kb(total)} in ${bundled.files.length} files → ${bundled.dir}`);
  for (const file of bundled.files.filter((f) => f.path.startsWith('chunks/')).sort((a, b) => b.bytes - a.bytes)) {
    console.log(`  ${file.path}  ${kb(file.bytes)}`);
  }
}

/**
 * `npm run invoke:reconcile -- events/reconcile/<event>.json`: bundle the FC reconcile function
 * (functions/reconcile-fc.ts) as `npm run build:functions` does, load the bundle, and call its FC 3.0
 * handler with the event (an OSS trigger's or a timer trigger's), as Function Compute would.
 * Configuration comes from the environment, as deployed; the bundle opens Tablestore and memory:
 * only, and UPLOAD_STORE unset is memory:. Prints what the handler returned and exits 0, or prints
 * the error and exits 1.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FcContext } from '../lib/platforms/fc3.types.js';
import { bundleFunction, ROOT } from './functions-bundle.js';

const [eventPath] = process.argv.slice(2);
if (!eventPath) {
  console.error('usage: npm run invoke:reconcile -- EVENT.json   (events/reconcile/fc3-oss-put-object.json, events/reconcile/fc3-timer.json)');
  process.exit(2);
}

process.env.UPLOAD_STORE ||= 'memory:';
const context: FcContext = { requestId: `local-${Date.now()}`, function: { name: 'reconcile', handler: 'reconcile-fc.fc3', timeout: 300 } };
const eventBytes = readFileSync(eventPath);
// A private build folder, as for the callback's local invoke (scripts/invoke-fc.ts).
mkdirSync(join(ROOT, 'dist'), { recursive: true });
const buildDir = mkdtempSync(join(ROOT, 'dist', 'invoke-'));
process.on('exit', () => rmSync(buildDir, { recursive: true, force: true }));
const bundle = (await import(pathToFileURL((await bundleFunction('reconcile-fc', buildDir)).entry).href)) as { fc3(event: Buffer, context: FcContext): Promise<unknown> };

try {
  console.log(JSON.stringify(await bundle.fc3(eventBytes, context), null, 2));
} catch (error) {
  console.error(`the reconcile function failed: ${(error as Error).message}`);
  process.exitCode = 1;
}

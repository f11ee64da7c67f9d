/**
 * `npm run invoke:fc3 -- events/fc3/<event>.json` and `npm run invoke:fc2 -- events/fc2/<event>.json`:
 * bundle the Function Compute callback entry as `npm run build:functions` does, load the bundle, and
 * call its FC handler with the event, as Function Compute would. Configuration comes from the
 * environment, as deployed. Where you set nothing, the committed dev key is trusted and the store is
 * memory: (the bundle carries Tablestore and memory: only; the answer shows the record). Prints the
 * answer and exits 0 for a 2xx answer, 1 otherwise.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Fc2Request, Fc2Response } from '../lib/platforms/fc2.types.js';
import type { Fc3Result, FcContext } from '../lib/platforms/fc3.types.js';
import { fc2RequestFromFile, type Fc2RequestFile } from '../lib/platforms/sample-events.js';
import { silenceAwsSdkNodeNotice } from '../cli/aws-sdk-notice.js';
import { bundleFunction, ROOT } from './functions-bundle.js';

interface CallbackBundle {
  fc3(event: Buffer, context: FcContext): Promise<Fc3Result>;
  fc2(req: Fc2Request, resp: Fc2Response, context: FcContext): Promise<void>;
}

const [door, eventPath] = process.argv.slice(2);
if ((door !== 'fc3' && door !== 'fc2') || !eventPath) {
  console.error('usage: npm run invoke:fc3 -- EVENT.json   |   npm run invoke:fc2 -- REQUEST.json');
  process.exit(2);
}

/** A bad event file is the caller's mistake: one line naming it, no stack trace. */
function refuseEvent(why: string): never {
  console.error(`npm run invoke:${door}: ${eventPath}: ${why} (the samples are in events/${door}/)`);
  process.exit(2);
}

let eventBytes: Buffer;
try {
  eventBytes = readFileSync(eventPath);
} catch (error) {
  refuseEvent((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message);
}
let fc2File: Fc2RequestFile | undefined;
try {
  if (door === 'fc2') fc2File = JSON.parse(eventBytes.toString('utf8')) as Fc2RequestFile;
} catch (error) {
  refuseEvent(`not JSON: ${(error as Error).message}`);
}

silenceAwsSdkNodeNotice();
process.env.OSS_CALLBACK_TRUSTED_KEYS ??= join(ROOT, 'test/dev-key/trusted-keys.json');
process.env.UPLOAD_STORE ||= 'memory:';
const context: FcContext = { requestId: `local-${Date.now()}`, function: { name: 'callback', handler: `callback-fc.${door}`, timeout: 6 } };
// A private build folder: runs side by side never replace each other's bundle, nor the deployable one.
mkdirSync(join(ROOT, 'dist'), { recursive: true });
const buildDir = mkdtempSync(join(ROOT, 'dist', 'invoke-'));
process.on('exit', () => rmSync(buildDir, { recursive: true, force: true }));
const bundle = (await import(pathToFileURL((await bundleFunction('callback-fc', buildDir)).entry).href)) as CallbackBundle;

let statusCode: number;
if (door === 'fc3') {
  const result = await bundle.fc3(eventBytes, context);
  statusCode = result.statusCode;
  console.log(JSON.stringify(result, null, 2));
} else {
  const answer: { statusCode: number; headers: Record<string, string>; body: string } = { statusCode: 0, headers: {}, body: '' };
  const resp: Fc2Response = {
    setStatusCode: (code) => void (answer.statusCode = code),
    setHeader: (name, value) => void (answer.headers[name] = value),
    send: (body) => void (answer.body = body.toString()),
  };
  await bundle.fc2(fc2RequestFromFile(fc2File!), resp, context);
  statusCode = answer.statusCode;
  console.log(JSON.stringify(answer, null, 2));
}
process.exitCode = statusCode >= 200 && statusCode < 300 ? 0 : 1;

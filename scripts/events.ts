/**
 * `npm run events`: regenerate events/ (PutObject, PostObject and CompleteMultipartUpload callbacks,
 * form and JSON bodies) for every door, signed with the committed dev key through
 * `oss-callback sign --as …`. Fixed dates and request ids keep the files stable between runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../cli/main.js';
import { callbackBodyTemplate, type BodyType } from '../lib/protocol/templates.js';
import { RECONCILE_SAMPLE_EVENTS } from '../lib/reconcile/sample-events.js';
import { ROOT } from './functions-bundle.js';

export const DEV_KEY = { privateKey: join(ROOT, 'test/dev-key/private.pem'), keyUrl: 'https://oss-callback.dev.invalid/dev-key.pem' };
export const EVENTS_DIR = join(ROOT, 'events');
const CALLBACK_URL = 'https://callback.example.com/oss/callback';
const DATE = '2024-05-07T03:06:13Z';

/** What OSS would fill in for each upload; `''` is a variable OSS leaves empty. */
const UPLOADS = {
  'put-object': {
    bucket: 'examplebucket', object: 'uploads/2024/05/cat photo.jpg', etag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249', size: '48213',
    mimeType: 'image/jpeg', 'imageInfo.height': '480', 'imageInfo.width': '640', 'imageInfo.format': 'jpg',
    crc64: '13281376522424012436', contentMd5: '2OjPotwPiW/Xy0ywAxuiSQ==', vpcId: '', clientIp: '203.0.113.7',
    reqId: '66399AA5000000003334673E', operation: 'PutObject', 'x:uid': '42',
  },
  'post-object': {
    bucket: 'examplebucket', object: 'uploads/avatars/u42.png', etag: '5EB63BBBE01EEED093CB22BB8F5ACDC3', size: '2788',
    mimeType: 'image/png', 'imageInfo.height': '256', 'imageInfo.width': '256', 'imageInfo.format': 'png',
    crc64: '3461631372852000', contentMd5: 'XrY7u+Ae7tCTyyK7j1rNww==', vpcId: '', clientIp: '198.51.100.23',
    reqId: '66399AA5000000003334673F', operation: 'PostObject', 'x:uid': '42',
  },
  'complete-multipart-upload': {
    bucket: 'examplebucket', object: 'videos/2024/launch.mp4', etag: '3858F62230AC3C915F300C664312C63F-3', size: '15728640',
    mimeType: 'video/mp4', 'imageInfo.height': '', 'imageInfo.width': '', 'imageInfo.format': '',
    crc64: '9223372036854775807', contentMd5: '', vpcId: '', clientIp: '203.0.113.7',
    reqId: '66399AA50000000033346740', operation: 'CompleteMultipartUpload', 'x:uid': '42',
  },
} as const satisfies Record<string, Record<string, string>>;

const NUMBERS = new Set(['size', 'imageInfo.height', 'imageInfo.width', 'crc64']);

/** The recommended template filled in as OSS fills it: URL-encoded in form, JSON values in JSON. */
export function renderBody(type: BodyType, values: Record<string, string>): string {
  return callbackBodyTemplate(type, ['uid']).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? '';
    if (type === 'form') return encodeURIComponent(value);
    if (value === '') return 'null';
    return NUMBERS.has(name) ? value : JSON.stringify(value);
  });
}

function nextRequestId(reqId: string): string {
  return (BigInt(`0x${reqId}`) + 0x100n).toString(16).toUpperCase().padStart(reqId.length, '0');
}

const DOORS = { 'lambda-url': 'json', fc3: 'json', fc2: 'json', http: 'http' } as const;

async function sign(args: string[]): Promise<Buffer> {
  const out: Buffer[] = [];
  const errors: string[] = [];
  const io = { stdout: (t: string | Uint8Array) => void out.push(Buffer.from(t)), stderr: (t: string) => void errors.push(t), stdin: process.stdin, env: process.env };
  const code = await main(['sign', ...args], io);
  if (code !== 0) throw new Error(`oss-callback sign ${args.join(' ')} failed: ${errors.join('')}`);
  return Buffer.concat(out);
}

export async function writeEvents(dir = EVENTS_DIR): Promise<string[]> {
  // The folders it writes, not events/ itself: the README there is written by hand.
  for (const folder of [...Object.keys(DOORS), 'reconcile']) rmSync(join(dir, folder), { recursive: true, force: true });
  const written: string[] = [];
  for (const [door, extension] of Object.entries(DOORS)) {
    mkdirSync(join(dir, door), { recursive: true });
    for (const [upload, uploadValues] of Object.entries(UPLOADS)) {
      for (const type of ['form', 'json'] as const) {
        // The form and JSON samples are two uploads, not one sent twice: each has its own request id.
        const values = { ...uploadValues, reqId: type === 'form' ? uploadValues.reqId : nextRequestId(uploadValues.reqId) };
        const file = join(dir, door, `${upload}-${type}.${extension}`);
        writeFileSync(
          file,
          await sign([
            '--key', DEV_KEY.privateKey, '--key-url', DEV_KEY.keyUrl, '--url', CALLBACK_URL,
            '--body', renderBody(type, values), '--type', type, '--bucket', values.bucket,
            '--request-id', values.reqId, '--date', DATE, '--as', door,
            // Function URLs may deliver form bodies base64-encoded; the samples show both.
            ...(door === 'lambda-url' && type === 'form' ? ['--base64-body'] : []),
          ]),
        );
        written.push(file);
      }
    }
  }
  mkdirSync(join(dir, 'reconcile'), { recursive: true });
  for (const [name, event] of Object.entries(RECONCILE_SAMPLE_EVENTS)) {
    const file = join(dir, 'reconcile', name);
    writeFileSync(file, `${JSON.stringify(event, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = await writeEvents();
  console.log(`wrote ${files.length} events under events/`);
}

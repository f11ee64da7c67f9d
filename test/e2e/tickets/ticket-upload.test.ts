import OSS from 'ali-oss';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../../lib/logger.js';
import { buildCallbackParam } from '../../../lib/protocol/callback-param.js';
import { callbackBodyTemplate } from '../../../lib/protocol/templates.js';
import type { IssuedUpload } from '../../../lib/tickets/issue.js';
import { signTicket } from '../../../lib/tickets/ticket.js';
import { startDevStack, type DevStack } from '../../../scripts/dev-stack.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * The browser flow without a browser, through real HTTP: the ticket route issues a V4 PostObject
 * form, Node's fetch + FormData posts it to the simulator (which checks the signature, with STS
 * credentials, and the policy), and the simulator calls the receiver, which requires tickets.
 */
const STS = { accessKeyId: 'STS.dev-id', accessKeySecret: 'dev-secret', securityToken: 'CAIS-dev-token' };
const TICKET_KEY = { id: 'e2e', secret: new Uint8Array(randomBytes(32)) };

let stack: DevStack;
const logs: (LogFields & { message: string })[] = [];
const logger: Logger = { log: (_level, message, fields = {}) => void logs.push({ message, ...fields }) };

beforeAll(async () => {
  const dir = tempDir('oss-ticket-e2e-');
  stack = await startDevStack({
    sim: { dataDir: join(dir, 'oss'), bucket: 'ticket-bucket', port: 0, trustedKeysOut: join(dir, 'trusted-keys.json'), credentials: STS, callbackTimeoutMs: 5000 },
    receiverPort: 0,
    env: {
      UPLOAD_STORE: `sqlite:${join(dir, 'uploads.db')}`,
      OSS_TICKET_KEYS: JSON.stringify({ [TICKET_KEY.id]: Buffer.from(TICKET_KEY.secret).toString('base64') }),
      OSS_CALLBACK_REQUIRE_TICKET: 'true',
    },
    simLogger: logger,
    logger,
  });
});

afterAll(async () => {
  await stack?.close();
});

async function ticket(user: string, file: { fileName: string; size: number; contentType: string }): Promise<IssuedUpload> {
  const response = await fetch(`${stack.receiver.url}/tickets`, { method: 'POST', headers: { 'x-dev-user': user, 'content-type': 'application/json' }, body: JSON.stringify(file) });
  expect(response.status).toBe(200);
  return (await response.json()) as IssuedUpload;
}

/** What a browser does with the answer: every field in order, then the file. */
async function post(upload: IssuedUpload, content: Buffer, fields: Record<string, string> = upload.fields) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append(upload.fileField, new Blob([content]), 'upload.bin');
  const response = await fetch(upload.url, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

const records = async (user: string) =>
  ((await (await fetch(`${stack.receiver.url}/records`, { headers: { 'x-dev-user': user } })).json()) as { records: { object: string; uploader: string }[] }).records;
const ossCode = (text: string) => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
const lastRefusal = () => logs.filter((line) => line.message === 'callback').at(-1)?.code;

describe('an upload with a ticket, through the simulator to the receiver', () => {
  const content = Buffer.from('a picture, in spirit\n');
  const file = { fileName: 'holiday.png', size: content.length, contentType: 'image/png' };

  it('is recorded with its uploader, and listed for that user only', async () => {
    const upload = await ticket('alice', file);
    expect(upload.fields['x-oss-security-token']).toBe(STS.securityToken);
    const answer = await post(upload, content);

    expect(answer.status).toBe(200);
    const { record } = JSON.parse(answer.text);
    expect(record).toMatchObject({
      bucket: 'ticket-bucket',
      object: upload.key,
      size: content.length,
      mimeType: 'image/png',
      etag: createHash('md5').update(content).digest('hex').toUpperCase(),
      operation: 'PostObject',
      uploader: 'alice',
      vars: {},
    });
    expect((await records('alice')).map((r) => r.object)).toContain(upload.key);
    expect(await records('bob')).toEqual([]);
  });

  it.each([
    ['another user\'s folder', (u: IssuedUpload) => ({ ...u.fields, key: 'uploads/bob/mine-now.png' }), content],
    ['a bigger file', (u: IssuedUpload) => u.fields, Buffer.concat([content, Buffer.from('!')])],
    ['another content type', (u: IssuedUpload) => ({ ...u.fields, 'Content-Type': 'text/html' }), content],
    ['another callback', (u: IssuedUpload) => ({ ...u.fields, callback: buildCallbackParam({ url: 'http://127.0.0.1:1/elsewhere', body: callbackBodyTemplate('form', ['ticket']) }) }), content],
    ['no security token', (u: IssuedUpload) => Object.fromEntries(Object.entries(u.fields).filter(([name]) => name !== 'x-oss-security-token')), content],
  ])('is refused by OSS when the form is altered outside its policy: %s', async (_, alter, bytes) => {
    const upload = await ticket('alice', file);
    const before = logs.length;
    const answer = await post(upload, bytes, alter(upload));
    expect(answer.status).toBe(403);
    expect(['AccessDenied', 'InvalidAccessKeyId']).toContain(ossCode(answer.text));
    expect(logs.slice(before).filter((line) => line.message === 'callback')).toEqual([]);
  });

  it('is refused by the receiver with a forged, expired or someone else\'s ticket: OSS stores the object and answers 203', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = () => ({ sub: 'alice', jti: randomUUID(), bucket: 'ticket-bucket', prefix: 'uploads/alice/', maxSize: 1000, iat: now, exp: now + 600 });
    const cases: [string, () => Promise<string>][] = [
      ['TicketInvalid', () => signTicket(claims(), { id: TICKET_KEY.id, secret: new Uint8Array(randomBytes(32)) })],
      ['TicketExpired', () => signTicket({ ...claims(), iat: now - 7200, exp: now - 3600 }, TICKET_KEY)],
      ['TicketMismatch', () => signTicket({ ...claims(), sub: 'bob', prefix: 'uploads/bob/' }, TICKET_KEY)],
    ];
    for (const [code, forge] of cases) {
      const upload = await ticket('alice', file);
      const answer = await post(upload, content, { ...upload.fields, 'x:ticket': await forge() });
      expect({ status: answer.status, oss: ossCode(answer.text), receiver: lastRefusal() }).toEqual({ status: 203, oss: 'CallbackFailed', receiver: code });
      expect(answer.text).toContain('Error status : 403.');
      expect((await records('alice')).map((r) => r.object)).not.toContain(upload.key);
    }
  });

  it('binds a ticket to one object: a second object under the same form is refused as TicketReused', async () => {
    const upload = await ticket('alice', file);
    expect((await post(upload, content)).status).toBe(200);
    const again = await post(upload, content, { ...upload.fields, key: `${upload.key}.copy` });
    expect({ status: again.status, receiver: lastRefusal() }).toEqual({ status: 203, receiver: 'TicketReused' });
  });

  it('refuses an upload that carries no ticket at all, as OSS_CALLBACK_REQUIRE_TICKET asks', async () => {
    const client = new OSS({ endpoint: stack.sim.url, cname: true, bucket: 'ticket-bucket', accessKeyId: STS.accessKeyId, accessKeySecret: STS.accessKeySecret, stsToken: STS.securityToken });
    const error = await client.put('uploads/alice/no-ticket.txt', Buffer.from('x'), { callback: { url: stack.callbackUrl, body: callbackBodyTemplate('form') } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 203, name: 'CallbackFailedError' });
    expect(lastRefusal()).toBe('TicketMissing');
  });

  it('never logs a ticket, a signature or a credential, in the simulator, the ticket route or the receiver', async () => {
    const upload = await ticket('carol', file);
    expect((await post(upload, content)).status).toBe(200);
    const text = JSON.stringify(logs);
    for (const secret of [upload.fields['x:ticket']!, upload.fields['x-oss-signature']!, STS.accessKeySecret, STS.securityToken]) {
      expect(text).not.toContain(secret);
    }
    expect(logs.some((line) => line.message === 'ticket' && line.uploader === 'carol')).toBe(true);
  });
});

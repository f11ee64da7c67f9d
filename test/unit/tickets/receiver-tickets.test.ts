import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallbackResponse, Receiver } from '../../../lib/exchange.js';
import type { Logger } from '../../../lib/logger.js';
import { createPipeline } from '../../../lib/receiver.js';
import { ticketAuthorizer, type TicketSettings } from '../../../lib/tickets/authorize.js';
import { MemoryStore } from '../../../lib/store/memory.js';
import type { UploadStore } from '../../../lib/store/port.js';
import { TransientStoreError } from '../../../lib/store/port.js';
import { signTicket, TICKET_TYPE, type UploadTicket } from '../../../lib/tickets/ticket.js';
import { testKey, testResolver } from '../../support/keys.js';
import { signedCallback } from '../../../lib/protocol/sign.js';
import { withFaults } from '../../support/faulty-store.js';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const current = { id: 'k2', secret: new Uint8Array(randomBytes(32)) };
const previous = { id: 'k1', secret: new Uint8Array(randomBytes(32)) };
const keys = new Map([
  [current.id, current.secret],
  [previous.id, previous.secret],
]);

function ticketFor(overrides: Partial<UploadTicket> = {}): UploadTicket {
  return { sub: 'alice', jti: randomUUID(), bucket: 'photos', prefix: 'uploads/alice/', maxSize: 1000, iat: NOW / 1000, exp: NOW / 1000 + 600, ...overrides };
}

interface Upload {
  bucket?: string;
  object?: string;
  size?: number | null;
  reqId?: string;
  ticket?: string;
}

/** A callback as OSS renders the ticket function's form template, signed with the test key. */
function callback({ bucket = 'photos', object = 'uploads/alice/1/cat.png', size = 500, reqId = randomUUID(), ticket }: Upload) {
  const fields = new URLSearchParams({ bucket, object, ...(size === null ? {} : { size: String(size) }), mimeType: 'image/png', reqId, operation: 'PostObject' });
  if (ticket !== undefined) fields.set('x:ticket', ticket);
  fields.set('x:album', 'summer');
  return signedCallback({ privateKey: testKey.privateKey, keyUrl: testKey.keyUrl, url: 'https://cb.example.com/oss/callback', body: Buffer.from(fields.toString()), contentType: 'application/x-www-form-urlencoded' });
}

const json = (response: CallbackResponse) => JSON.parse(response.body.toString('utf8'));

describe('receiver with upload tickets', () => {
  let store: MemoryStore;
  let lines: string[];
  const build = (tickets: TicketSettings | null, target: UploadStore = store): Receiver =>
    createPipeline({
      limits: { deadlineMs: 4000, maxBodyBytes: 65_536 },
      ...(tickets ? { authorize: ticketAuthorizer(tickets) } : {}),
      store: target,
      keys: testResolver(),
      logger: { log: (level, message, fields) => lines.push(JSON.stringify({ level, message, ...fields })) } satisfies Logger,
      now: () => NOW,
    });
  let receiver: Receiver;

  beforeEach(() => {
    store = new MemoryStore();
    lines = [];
    receiver = build({ keys, required: true });
  });

  async function refusal(upload: Upload, code: string) {
    const response = await receiver.handle(callback(upload));
    expect({ status: response.status, code: json(response).code }).toEqual({ status: 403, code });
    return json(response).message as string;
  }

  it('records the ticket subject as the uploader, keeps the ticket out of the record, and lists by uploader', async () => {
    const jws = await signTicket(ticketFor(), current);
    const response = await receiver.handle(callback({ ticket: jws }));

    expect(response.status).toBe(200);
    const { record } = json(response);
    expect(record).toMatchObject({ bucket: 'photos', object: 'uploads/alice/1/cat.png', uploader: 'alice', vars: { 'x:album': 'summer' } });
    expect(record.vars).not.toHaveProperty('x:ticket');
    expect(response.body.toString()).not.toContain(jws);
    expect(await store.list({ uploader: 'alice' })).toEqual([record]);
    expect(await store.list({ uploader: 'bob' })).toEqual([]);
    expect(lines.join('\n')).not.toContain(jws);
    expect(JSON.parse(lines[0]!)).toMatchObject({ uploader: 'alice', status: 200 });
  });

  it('answers a redelivery of a recorded callback from the store after its ticket has expired, and refuses a new one', async () => {
    const ticket = ticketFor();
    const request = callback({ ticket: await signTicket(ticket, current) });
    const first = await receiver.handle(request);
    const later = createPipeline({ limits: { deadlineMs: 4000, maxBodyBytes: 65_536 }, authorize: ticketAuthorizer({ keys, required: true }), store, keys: testResolver(), logger: { log() {} }, now: () => NOW + 3_600_000 });

    const again = await later.handle(request);
    const fresh = await later.handle(callback({ object: 'uploads/alice/2/dog.png', ticket: await signTicket(ticket, current) }));

    expect(again.status).toBe(200);
    expect(again.body.equals(first.body)).toBe(true);
    expect(json(fresh).code).toBe('TicketExpired');
    expect(await store.list({})).toHaveLength(1);
  });

  it('refuses a callback without a ticket when tickets are required, and stores nothing', async () => {
    expect(await refusal({}, 'TicketMissing')).toMatch(/x:ticket/);
    expect(await refusal({ ticket: '' }, 'TicketMissing')).toBeTruthy();
    expect(await store.list({})).toEqual([]);
  });

  it('accepts a ticket signed with any configured key: the issuer may rotate', async () => {
    const old = await signTicket(ticketFor(), previous);
    expect((await receiver.handle(callback({ ticket: old }))).status).toBe(200);
    receiver = build({ keys: new Map([[current.id, current.secret]]), required: true });
    const message = await refusal({ ticket: await signTicket(ticketFor(), previous) }, 'TicketInvalid');
    expect(message).toMatch(/key/);
  });

  it.each([
    ['forged: the right key id, another secret', () => signTicket(ticketFor(), { id: current.id, secret: new Uint8Array(randomBytes(32)) })],
    ['another type of token under the same secret', () => new SignJWT({ bucket: 'photos', prefix: 'uploads/alice/', maxSize: 1000 }).setProtectedHeader({ alg: 'HS256', kid: current.id, typ: 'JWT' }).setSubject('alice').setJti('x').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(current.secret)],
    ['no key id', () => new SignJWT({ bucket: 'photos', prefix: 'uploads/alice/', maxSize: 1000 }).setProtectedHeader({ alg: 'HS256', typ: TICKET_TYPE }).setSubject('alice').setJti('x').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(current.secret)],
    ['a ticket without its bucket', () => new SignJWT({ prefix: 'uploads/alice/', maxSize: 1000 }).setProtectedHeader({ alg: 'HS256', kid: current.id, typ: TICKET_TYPE }).setSubject('alice').setJti('x').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(current.secret)],
    ['not a JWS at all', async () => 'not-a-ticket'],
    ['a tampered payload', async () => {
      const [head, , sig] = (await signTicket(ticketFor(), current)).split('.');
      return [head, Buffer.from(JSON.stringify(ticketFor({ sub: 'mallory' }))).toString('base64url'), sig].join('.');
    }],
  ])('refuses %s as TicketInvalid', async (_, make) => {
    await refusal({ ticket: await make() }, 'TicketInvalid');
    expect(await store.list({})).toEqual([]);
  });

  it('refuses an expired ticket, allowing 30 s of clock skew', async () => {
    expect(await refusal({ ticket: await signTicket(ticketFor({ exp: NOW / 1000 - 31 }), current) }, 'TicketExpired')).toMatch(/expired/);
    expect((await receiver.handle(callback({ ticket: await signTicket(ticketFor({ exp: NOW / 1000 - 29 }), current) }))).status).toBe(200);
  });

  it.each([
    ['another bucket', { bucket: 'other' }, /bucket/],
    ['an object outside the prefix', { object: 'uploads/bob/1/cat.png' }, /prefix/],
    ['a bigger object', { size: 1001 }, /1001 bytes/],
    ['a body without the size', { size: null }, /size/],
  ])('refuses %s as TicketMismatch', async (_, upload, message) => {
    expect(await refusal({ ...upload, ticket: await signTicket(ticketFor(), current) }, 'TicketMismatch')).toMatch(message);
    expect(await store.list({})).toEqual([]);
  });

  it('binds a ticket to the first object recorded with it: the same object again passes, another is TicketReused', async () => {
    const jws = await signTicket(ticketFor(), current);
    const first = callback({ ticket: jws, object: 'uploads/alice/a.png', reqId: 'R1' });
    expect((await receiver.handle(first)).status).toBe(200);
    const redelivery = await receiver.handle(first);
    expect(json(redelivery).record.id).toBe('req:R1');
    // A second upload of the same object (the browser retried): a new OSS request id, a new record.
    expect((await receiver.handle(callback({ ticket: jws, object: 'uploads/alice/a.png', reqId: 'R2' }))).status).toBe(200);
    expect(await refusal({ ticket: jws, object: 'uploads/alice/b.png', reqId: 'R3' }, 'TicketReused')).toMatch(/another object/);
    expect((await store.list({})).map((record) => record.id).sort()).toEqual(['req:R1', 'req:R2']);
  });

  it('lets one of two objects racing on one ticket through', async () => {
    const jws = await signTicket(ticketFor(), current);
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((name) => receiver.handle(callback({ ticket: jws, object: `uploads/alice/${name}.png` }))));
    expect(answers.map((answer: CallbackResponse) => answer.status).sort()).toEqual([200, 403, 403, 403]);
    expect(await store.list({})).toHaveLength(1);
  });

  it('retries a binding whose first attempt landed but whose answer was lost, and still binds the ticket', async () => {
    const lost = () => {
      throw new TransientStoreError('connection reset');
    };
    receiver = build({ keys, required: true }, withFaults(store, [{ verb: 'bind', times: 1, fail: lost, after: true }]));
    const jws = await signTicket(ticketFor(), current);
    expect((await receiver.handle(callback({ ticket: jws }))).status).toBe(200);
    expect(await refusal({ ticket: jws, object: 'uploads/alice/other.png' }, 'TicketReused')).toBeTruthy();
  });

  it('when tickets are checked but not required: no ticket passes with no uploader, a bad one is still refused', async () => {
    receiver = build({ keys, required: false });
    const plain = await receiver.handle(callback({}));
    expect(json(plain).record).toMatchObject({ uploader: null });
    await refusal({ ticket: await signTicket(ticketFor({ bucket: 'other' }), current) }, 'TicketMismatch');
    expect(json(await receiver.handle(callback({ ticket: await signTicket(ticketFor(), current) }))).record.uploader).toBe('alice');
  });

  it('without ticket keys ignores a ticket but still never stores it', async () => {
    receiver = build(null);
    const response = await receiver.handle(callback({ ticket: 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' }));
    expect(json(response).record).toMatchObject({ uploader: null, vars: { 'x:album': 'summer' } });
    expect(response.body.toString()).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });
});

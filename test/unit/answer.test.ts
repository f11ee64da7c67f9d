import { beforeEach, describe, expect, it } from 'vitest';
import type { AnswerFunction } from '../../lib/answer.js';
import type { CallbackResponse } from '../../lib/exchange.js';
import type { LogFields } from '../../lib/logger.js';
import { createPipeline } from '../../lib/receiver.js';
import { MemoryStore } from '../../lib/store/memory.js';
import { signRequest, testResolver } from '../support/keys.js';

const json = (response: CallbackResponse) => JSON.parse(response.body.toString('utf8'));
const upload = () => signRequest({ body: 'bucket=photos&object=users%2F42%2Fcat.jpg&etag=ABC&size=5' });

describe('the answer option: application fields in the JSON OSS relays', () => {
  let store: MemoryStore;
  let lines: LogFields[];
  const receiverWith = (answer: AnswerFunction, deadlineMs = 4_000) =>
    createPipeline({
      limits: { deadlineMs, maxBodyBytes: 65_536 },
      store,
      keys: testResolver(),
      answer,
      logger: { log: (_level, _message, fields = {}) => void lines.push(fields) },
    });

  beforeEach(() => {
    store = new MemoryStore();
    lines = [];
  });

  it('adds the fields built from the record beside Status and record, and stores the record unchanged', async () => {
    // Prepare
    const receiver = receiverWith(async (record) => ({ url: `https://cdn.example.com/${record.object}`, size: record.size }));

    // Act
    const response = await receiver.handle(upload());

    // Assess
    expect(response.status).toBe(200);
    const answer = json(response);
    expect(Object.keys(answer)).toEqual(['Status', 'record', 'url', 'size']);
    expect(answer).toMatchObject({ Status: 'OK', url: 'https://cdn.example.com/users/42/cat.jpg', size: 5 });
    expect(await store.list({})).toEqual([answer.record]);
    expect(Number(response.headers['content-length'])).toBe(response.body.length);
  });

  it('answers a redelivery from the stored record, with the fields built again', async () => {
    let calls = 0;
    const receiver = receiverWith((record) => ({ call: ++calls, id: record.id }));

    const first = json(await receiver.handle(upload()));
    const again = json(await receiver.handle(upload()));

    expect(again.record).toEqual(first.record);
    expect([first.call, again.call]).toEqual([1, 2]);
  });

  it('answers 500 AnswerFailed when the function throws, logs its error, and keeps the record', async () => {
    const receiver = receiverWith(() => {
      throw new Error('CDN signer offline');
    });

    const response = await receiver.handle(upload());

    expect(response.status).toBe(500);
    expect(json(response)).toMatchObject({ Status: 'Error', code: 'AnswerFailed', message: expect.stringMatching(/the upload is recorded/) });
    expect(response.body.toString()).not.toContain('CDN signer offline');
    expect(lines.at(-1)).toMatchObject({ code: 'AnswerFailed', cause: 'CDN signer offline' });
    expect(await store.list({})).toHaveLength(1);
  });

  it('answers 503 DeadlineExceeded before the deadline when the function is slow', async () => {
    const receiver = receiverWith(() => new Promise(() => {}), 200);

    const started = Date.now();
    const response = await receiver.handle(upload());

    expect(Date.now() - started).toBeLessThan(600);
    expect(response.status).toBe(503);
    expect(json(response).code).toBe('DeadlineExceeded');
  });

  it.each([
    ['returns Status', () => ({ Status: 'Fine' })],
    ['returns record', () => ({ record: null })],
    ['returns no object', () => 'https://cdn.example.com/x' as unknown as Record<string, unknown>],
    ['returns an array', () => [1] as unknown as Record<string, unknown>],
    ['returns what JSON cannot hold', () => ({ big: 1n })],
    ['returns more than OSS relays', () => ({ padding: 'x'.repeat(1_000_000) })],
  ])('refuses, as AnswerFailed, a function that %s', async (_case, answer: AnswerFunction) => {
    const response = await receiverWith(answer).handle(upload());

    expect(response.status).toBe(500);
    expect(json(response).code).toBe('AnswerFailed');
  });
});

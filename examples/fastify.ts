/**
 * Fastify 5: its content-type parsers read the body before any handler (and refuse a form with 415),
 * so the callback route lives in a plugin whose one parser keeps every body as a Buffer.
 */
import Fastify from 'fastify';
import { createReceiver } from 'oss-upload-callback';
import { nodeCallbackRequest } from 'oss-upload-callback/node';

const receiver = await createReceiver();
const app = Fastify();

await app.register(
  async (callbacks) => {
    callbacks.removeAllContentTypeParsers();
    callbacks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    callbacks.post('/oss/callback', async (request, reply) => {
      const answer = await receiver.handle(nodeCallbackRequest(request.raw, request.body as Buffer));
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  },
  { prefix: '/hooks' },
);
await app.listen({ port: 3000 });

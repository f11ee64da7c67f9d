/**
 * The OSS callback route as a Fastify plugin of its own. Fastify's content-type parsers read every
 * body before a handler runs (and refuse a form with 415), so this plugin's only parser keeps each
 * body as the Buffer OSS signed, which goes to the receiver with the request as it arrived.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { CallbackReceiver } from 'oss-upload-callback';
import { nodeCallbackRequest } from 'oss-upload-callback/node';

export const ossCallbacks: FastifyPluginAsync<{ receiver: CallbackReceiver }> = async (callbacks, { receiver }) => {
  callbacks.removeAllContentTypeParsers();
  callbacks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  callbacks.post('/oss/callback', async (request, reply) => {
    const answer = await receiver.handle(nodeCallbackRequest(request.raw, request.body as Buffer));
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  });
};

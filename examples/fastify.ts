/**
 * Fastify 5: the callback route lives in a plugin whose one content-type parser keeps the raw body
 * (fastify-callbacks.ts); the rest of the app keeps Fastify's own parsers.
 */
import Fastify from 'fastify';
import { createReceiver } from 'oss-upload-callback';
import { ossCallbacks } from './fastify-callbacks.js';

const app = Fastify();
await app.register(ossCallbacks, { prefix: '/hooks', receiver: await createReceiver() }); // OSS calls /hooks/oss/callback
await app.listen({ port: 3000 });

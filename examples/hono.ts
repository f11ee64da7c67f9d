/**
 * Hono (here on Node through @hono/node-server): hand the handler the untouched c.req.raw, before
 * any middleware reads the body. Sub-apps under app.route() are fine: a Request carries the whole URL.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createReceiver } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';

const onCallback = fetchHandler(createReceiver());

const api = new Hono();
api.post('/oss/callback', (c) => onCallback(c.req.raw));

const app = new Hono();
app.route('/api', api); // OSS's callbackUrl: https://api.example.com/api/oss/callback
serve({ fetch: app.fetch, port: 3000 });

/**
 * Koa: mount the callback route BEFORE bodyParser() (koa-bodyparser and @koa/bodyparser keep the
 * body as text, not the bytes OSS signed). Router prefixes and koa-mount are fine: the handler signs
 * ctx.originalUrl.
 */
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { createReceiver } from 'oss-upload-callback';
import { koaHandler } from 'oss-upload-callback/koa';

const app = new Koa();
const hooks = new Router({ prefix: '/hooks' });
hooks.post('/oss/callback', koaHandler(createReceiver()));
app.use(hooks.routes());

app.use(bodyParser());
app.listen(3000);

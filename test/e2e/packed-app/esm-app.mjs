// An app using the installed package as its README shows; prints what it saw as one JSON line.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import { CallbackError, createReceiver, verifyCallback } from 'oss-upload-callback';
import { fetchHandler } from 'oss-upload-callback/fetch';
import { nodeHandler } from 'oss-upload-callback/node';
import { openMemoryStore } from 'oss-upload-callback/stores/memory';
import { openTablestoreStore } from 'oss-upload-callback/stores/tablestore';

const keyUrl = 'https://keys.example.invalid/app.pem';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const trustedKeys = { [keyUrl]: publicKey.export({ type: 'spki', format: 'pem' }).toString() };

/** A callback as OSS signs it: RSA-MD5 over the decoded path, the query, a newline and the body. */
function signed(target, body) {
  const [path, query] = target.split('?');
  const toSign = `${decodeURIComponent(path)}${query === undefined ? '' : `?${query}`}\n${body}`;
  const authorization = createSign('RSA-MD5').update(toSign).sign(privateKey, 'base64');
  return {
    'content-type': 'application/x-www-form-urlencoded',
    authorization,
    'x-oss-pub-key-url': Buffer.from(keyUrl).toString('base64'),
  };
}

const body = 'bucket=photos&object=users%2F42%2Fcat.jpg&etag=D8E8FCA2DC0F896FD7CB4CB0031BA249&size=48213';
const store = openMemoryStore();
const receiver = await createReceiver({
  store,
  trustedKeys,
  env: {},
  logger: { log() {} },
  answer: (record) => ({ url: `https://cdn.example.com/${record.object}` }),
});

const server = createServer(nodeHandler(receiver));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const viaNode = await fetch(`${base}/hooks/oss/callback`, { method: 'POST', headers: signed('/hooks/oss/callback', body), body });
const nodeAnswer = await viaNode.json();
server.close();

const onFetch = fetchHandler(receiver);
const viaFetch = await onFetch(new Request('https://app.example.com/api/cb?a=1', { method: 'POST', headers: signed('/api/cb?a=1', body), body }));
const tampered = await onFetch(new Request('https://app.example.com/api/cb', { method: 'POST', headers: signed('/api/cb', body), body: body.replace('photos', 'photo5') }));

const verified = await verifyCallback(new Request('https://app.example.com/cb', { method: 'POST', headers: signed('/cb', body), body }), { trustedKeys });
const refused = await verifyCallback(new Request('https://app.example.com/other', { method: 'POST', headers: signed('/cb', body), body }), { trustedKeys }).catch(
  (error) => error,
);
const sqlite = await createReceiver({ store: 'sqlite:./uploads.db', env: {} }).catch((error) => error.message);
// The store's own entry point loads without its package, and names it when the store is opened.
const { openSqliteStore } = await import('oss-upload-callback/stores/sqlite');
const sqliteEntry = await Promise.resolve()
  .then(() => openSqliteStore('./uploads.db'))
  .then(() => 'opened', (error) => `${error.name}: ${error.message}`);
// Recording into Tablestore needs no SDK; creating the table does.
const tablestore = await openTablestoreStore('instance', 'uploads', { endpoint: 'http://127.0.0.1:9', aliyunCredentials: () => ({ accessKeyId: 'a', accessKeySecret: 'b' }) });
const tablestoreInit = await tablestore.init().catch((error) => error.message);
await tablestore.close();

console.log(
  JSON.stringify({
    node: { status: viaNode.status, object: nodeAnswer.record.object, url: nodeAnswer.url },
    fetch: { status: viaFetch.status },
    tampered: { status: tampered.status, code: (await tampered.json()).code },
    verified: { bucket: verified.fields.bucket, keyUrl: verified.keyUrl },
    refused: { name: refused instanceof CallbackError ? refused.name : 'not a CallbackError', code: refused.code, status: refused.status },
    sqlite,
    sqliteEntry,
    tablestoreInit,
    records: (await store.list({})).length,
  }),
);

// CommonJS loads the ES module package with require() (Node 20.19 and later; no top-level await in it).
const root = require('oss-upload-callback');
const entries = {
  root,
  node: require('oss-upload-callback/node'),
  koa: require('oss-upload-callback/koa'),
  fetch: require('oss-upload-callback/fetch'),
  lambda: require('oss-upload-callback/lambda'),
  fc3: require('oss-upload-callback/fc3'),
  fc2: require('oss-upload-callback/fc2'),
  memory: require('oss-upload-callback/stores/memory'),
  dynamodb: require('oss-upload-callback/stores/dynamodb'),
  sqlite: require('oss-upload-callback/stores/sqlite'),
  tablestore: require('oss-upload-callback/stores/tablestore'),
};
const names = Object.fromEntries(Object.entries(entries).map(([entry, module]) => [entry, Object.keys(module).sort()]));
root.createReceiver({ store: 'memory:', env: {} }).then((receiver) => {
  console.log(JSON.stringify({ ...names, receiver: typeof receiver.handle === 'function' ? 'object' : 'missing' }));
});

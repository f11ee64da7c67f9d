// CommonJS TypeScript requiring the ES module package (TypeScript 5.8+ under module nodenext).
import library = require('oss-upload-callback');
import node = require('oss-upload-callback/node');

export const handler: ReturnType<typeof node.nodeHandler> = node.nodeHandler(library.createReceiver({ store: 'memory:' }));

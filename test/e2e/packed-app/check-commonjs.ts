// A CommonJS TypeScript project of the classic kind ("module": "commonjs", so the old node10
// resolution, which reads no "exports"): the subpath entry points resolve through typesVersions.
import { createReceiver, type ExtraAnswerFields } from 'oss-upload-callback';
import { nodeHandler } from 'oss-upload-callback/node';
import { openMemoryStore } from 'oss-upload-callback/stores/memory';

export const handler: ReturnType<typeof nodeHandler> = nodeHandler(createReceiver({ store: openMemoryStore(), answer: (record): ExtraAnswerFields => ({ url: record.object }) }));

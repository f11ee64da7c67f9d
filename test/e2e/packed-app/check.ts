// Typechecked against the installed declarations: the public API as an app writes it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CallbackError,
  ConfigError,
  createReceiver,
  jsonLogger,
  verifyCallback,
  type AnswerFields,
  type AnswerFunction,
  type CallbackErrorCode,
  type CallbackReceiver,
  type CallbackRequest,
  type ExtraAnswerFields,
  type UploadRecord,
  type UploadStore,
  type VerifiedCallback,
} from 'oss-upload-callback';
import { fc2Handler } from 'oss-upload-callback/fc2';
import { fc3Handler, type Fc3Result } from 'oss-upload-callback/fc3';
import { fetchCallbackRequest, fetchHandler } from 'oss-upload-callback/fetch';
import { koaHandler } from 'oss-upload-callback/koa';
import { nodeCallbackRequest, nodeHandler } from 'oss-upload-callback/node';
import { openDynamoDbStore } from 'oss-upload-callback/stores/dynamodb';
import { openMemoryStore } from 'oss-upload-callback/stores/memory';
import { openSqliteStore } from 'oss-upload-callback/stores/sqlite';
import { openTablestoreStore } from 'oss-upload-callback/stores/tablestore';

const store: UploadStore = openMemoryStore();
const receiver: Promise<CallbackReceiver> = createReceiver({
  store,
  trustedKeys: { 'https://keys.example.invalid/dev.pem': '-----BEGIN PUBLIC KEY-----…' },
  deadlineMs: 3000,
  maxBodyBytes: 65_536,
  tickets: false,
  logger: jsonLogger('warn'),
  answer: (record: UploadRecord): ExtraAnswerFields => ({ url: `https://cdn.example.com/${record.object}` }),
});
export const answer: AnswerFunction = async (record) => ({ url: record.object });
/** The old name still compiles (deprecated: it is the function's type). */
export const answerByOldName: AnswerFields = answer;

export const onNode: (req: IncomingMessage, res: ServerResponse) => Promise<void> = nodeHandler(receiver);
export const onFetch: (request: Request) => Promise<Response> = fetchHandler(receiver);
export const onKoa = koaHandler(receiver);
export const onFc3: (event: Buffer) => Promise<Fc3Result> = fc3Handler(receiver);
export const onFc2 = fc2Handler(receiver);
export const stores: Promise<UploadStore>[] = [
  Promise.resolve(openSqliteStore('./uploads.db')),
  Promise.resolve(openDynamoDbStore('uploads')),
  openTablestoreStore('instance', 'uploads', { endpoint: 'https://instance.cn-hangzhou.ots.aliyuncs.com' }),
];

export async function verifyOnly(req: IncomingMessage, rawBody: Buffer, request: Request): Promise<string> {
  const fromNode: CallbackRequest = nodeCallbackRequest(req, rawBody);
  const fromFetch: CallbackRequest = await fetchCallbackRequest(request);
  try {
    const verified: VerifiedCallback = await verifyCallback(fromNode);
    const { fields, keyUrl, id, fingerprint } = await verifyCallback(request, { trustedKeys: {} });
    const size: number | null = fields.size;
    return `${verified.fields.bucket}/${fields.object} ${size} ${keyUrl} ${id} ${fingerprint} ${fromFetch.rawPath}`;
  } catch (error) {
    if (error instanceof CallbackError) {
      const code: CallbackErrorCode = error.code;
      return `${error.status} ${code}`;
    }
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

// @ts-expect-error: an option the receiver does not have
void createReceiver({ storage: 'memory:' });

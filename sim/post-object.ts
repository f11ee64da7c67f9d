import busboy from 'busboy';
import type { Readable } from 'node:stream';
import { answerUpload, uploadHeaders } from './answer-upload.js';
import { callbackFromForm, type CallbackInput } from './callback-input.js';
import { checkObjectKey, userMeta, type OssAnswer, type OssRequest, type SimContext } from './context.js';
import type { Staged } from './object-store.js';
import { OssError, ossErrors } from './oss-error.js';
import { checkLength, checkPolicy, type LengthRange } from './post-policy.js';
import { authenticatePolicy } from './request-auth.js';
import { xmlDocument } from './xml.js';

const malformed = () => new OssError(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
const missingField = (name: string) =>
  new OssError(400, 'InvalidArgument', 'The bucket POST must contain the specified field name.', [['ArgumentName', name]]);

interface Accepted {
  key: string;
  callback: CallbackInput | undefined;
  range: LengthRange | undefined;
  staging: Promise<Staged>;
}

/**
 * Everything OSS checks once the form fields are in and the file starts: the signature over the
 * policy, the policy's conditions, the key and the callback. Runs before any file byte is kept.
 */
function accept(ctx: SimContext, fields: Map<string, string>, file: Readable, filename: string): Accepted {
  const policy = fields.get('policy');
  if (ctx.credentials) {
    if (!policy) throw ossErrors.accessDenied(fields.has('ossaccesskeyid') || fields.has('x-oss-signature') ? 'Policy field is not specified.' : undefined);
    authenticatePolicy(fields, policy, ctx.credentials);
  }
  const range = policy ? checkPolicy(policy, fields, ctx.bucket) : undefined;
  const template = fields.get('key');
  if (!template) throw missingField('key');
  const key = template.replace(/\$\{filename\}/g, filename);
  checkObjectKey(key);
  const callback = callbackFromForm(fields);
  const staging = ctx.store.stage(file);
  // Awaited once the form is read; until then a failure must not count as unhandled.
  staging.catch(() => undefined);
  return { key, callback, range, staging };
}

/** Read the form: fields until the `file` part, which must come last; fields after it are ignored. */
function readForm(ctx: SimContext, request: OssRequest): Promise<{ fields: Map<string, string>; accepted: Accepted }> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let accepted: Accepted | undefined;
    let refusal: unknown;
    let form: busboy.Busboy;
    try {
      form = busboy({ headers: request.req.headers, limits: { fields: 1000, fieldSize: 64 * 1024 } });
    } catch {
      return reject(malformed());
    }
    form.on('field', (name, value) => {
      if (!accepted && !fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
    });
    form.on('file', (name, file, info) => {
      if (name.toLowerCase() !== 'file' || accepted || refusal) return void file.resume();
      try {
        accepted = accept(ctx, fields, file, info.filename ?? '');
      } catch (error) {
        refusal = error;
        file.resume();
      }
    });
    form.on('error', () => reject(malformed()));
    form.on('close', () => {
      if (refusal) return reject(refusal);
      if (!accepted) return reject(missingField('file'));
      resolve({ fields, accepted });
    });
    request.req.pipe(form);
  });
}

function successAnswer(ctx: SimContext, fields: ReadonlyMap<string, string>, key: string, headers: Record<string, string>): OssAnswer {
  const status = fields.get('success_action_status');
  if (status === '200') return { status: 200, headers };
  if (status !== '201') return { status: 204, headers };
  const body = xmlDocument('PostResponse', [
    ['Bucket', ctx.bucket],
    ['Location', `http://${ctx.hostId}/${encodeURIComponent(key).replace(/%2F/g, '/')}`],
    ['Key', key],
    ['ETag', headers.etag!],
  ]);
  return { status: 201, headers: { ...headers, 'content-type': 'application/xml' }, body: Buffer.from(body) };
}

/** PostObject: a browser form upload, signed through its policy, with the callback as a form field. */
export async function postObject(ctx: SimContext, request: OssRequest): Promise<OssAnswer> {
  const { fields, accepted } = await readForm(ctx, request);
  const staged = await accepted.staging;
  try {
    checkLength(accepted.range, staged.size);
  } catch (error) {
    await ctx.store.discard(staged);
    throw error;
  }
  const object = await ctx.store.put(accepted.key, staged, {
    etag: staged.md5.toString('hex').toUpperCase(),
    contentMd5: staged.md5.toString('base64'),
    contentType: fields.get('content-type') || 'application/octet-stream',
    objectType: 'Normal',
    meta: userMeta(fields),
  });
  return answerUpload(ctx, request, object, 'PostObject', accepted.callback, successAnswer(ctx, fields, object.key, uploadHeaders(object)));
}

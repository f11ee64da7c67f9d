import { CallbackError } from './errors.js';
import { jsonResponse, type CallbackResponse } from './exchange.js';
import type { UploadRecord } from './store/record.js';

/**
 * Fields an application adds to the JSON OSS relays to the uploader, beside `Status` and `record`:
 * `(record): ExtraAnswerFields => ({ url: … })`.
 */
export type ExtraAnswerFields = Record<string, unknown>;

/**
 * The `answer` option: builds the fields to add (the URL the app will serve the file from, say) from
 * the record just stored or found. Runs inside the callback's deadline.
 */
export type AnswerFunction = (record: UploadRecord) => ExtraAnswerFields | Promise<ExtraAnswerFields>;

/**
 * @deprecated The type of the answer *function*, despite its name: use `AnswerFunction`, and
 * `ExtraAnswerFields` for the fields it returns.
 */
export type AnswerFields = AnswerFunction;

/** OSS refuses an answer body over 1 MB ("User server return too long content-length value"). */
export const MAX_ANSWER_BYTES = 1_000_000;

const answerFailed = (why: string, cause?: unknown) =>
  new CallbackError('AnswerFailed', `the answer function ${why}; the upload is recorded, and a redelivery is answered again`, { cause });

/**
 * The 200 answer: `{"Status":"OK","record":…}` and the application's fields beside them. The record
 * is the stored one, unchanged; `Status` and `record` are the receiver's and cannot be replaced.
 */
export async function recordedAnswer(record: UploadRecord, answer: AnswerFunction | undefined): Promise<CallbackResponse> {
  if (!answer) return jsonResponse(200, { Status: 'OK', record });
  let fields: unknown;
  try {
    fields = await answer(record);
  } catch (error) {
    throw answerFailed('threw', error);
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw answerFailed('must return an object of fields to add');
  if (Object.hasOwn(fields, 'Status') || Object.hasOwn(fields, 'record')) throw answerFailed('returned Status or record, which the receiver writes itself');
  let response: CallbackResponse;
  try {
    response = jsonResponse(200, { Status: 'OK', record, ...fields });
  } catch (error) {
    throw answerFailed('returned fields that are not JSON', error);
  }
  if (response.body.length > MAX_ANSWER_BYTES) throw answerFailed(`made an answer of ${response.body.length} bytes; OSS takes at most ${MAX_ANSWER_BYTES}`);
  return response;
}

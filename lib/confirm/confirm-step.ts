import { ConfigError } from '../config.js';
import type { AliyunCredentials } from '../credentials.js';
import { CallbackError, isCallbackError } from '../errors.js';
import { createOssClient, OssRefusal, type OssClient } from '../oss/client.js';
import { READER_CREDENTIALS_HELP, readerCredentials } from '../oss/credentials.js';
import { headObject } from '../oss/head-object.js';
import type { ConfirmStep } from '../steps.js';
import { normalEtag } from '../store/upload-id.js';
import type { ServedBuckets } from '../oss/served-buckets.js';

/**
 * Confirm mode (OSS_CALLBACK_CONFIRM): a valid signature proves only that OSS sent the bytes, and the
 * body is a template whoever uploads writes, so any OSS account can have OSS sign
 * `bucket=<ours>&object=<anything>`. Before recording, the receiver reads the object with HeadObject,
 * with read-only credentials of its own, inside the callback's deadline, and records only an object
 * that is in a bucket it serves with the ETag and size the callback names.
 */
export function confirmUploads(buckets: readonly string[], oss: OssClient): ConfirmStep {
  const served = new Set(buckets);
  return async (fields, { budget }) => {
    // Refused before any request: a stranger's callback costs no OSS call.
    if (!served.has(fields.bucket)) {
      throw new CallbackError('BucketNotServed', `the callback names bucket ${JSON.stringify(fields.bucket)}, which this receiver does not serve (OSS_CALLBACK_BUCKETS)`);
    }
    const missing = [fields.etag === null && 'etag', fields.size === null && 'size'].filter(Boolean);
    if (missing.length) {
      const add = missing.map((name) => `${name}=\${${name}}`).join('&');
      throw new CallbackError('MissingField', `confirm mode compares the object with the callback's etag and size, and the body has no ${missing.join(' or ')}; add ${add} to the callback body template`);
    }
    const facts = await headObject(oss, fields.bucket, fields.object, budget.signal).catch((error: unknown) => {
      throw unconfirmable(error);
    });
    const object = `object ${JSON.stringify(fields.object)} in bucket ${fields.bucket}`;
    if (!facts) throw new CallbackError('UploadNotConfirmed', `${object} is absent`);
    // The object's own values are not echoed: the caller may be the stranger the check is for.
    if (facts.etag !== normalEtag(fields.etag)) throw new CallbackError('UploadNotConfirmed', `${object} has another ETag than the callback names`);
    if (facts.size !== fields.size) throw new CallbackError('UploadNotConfirmed', `${object} has another size than the callback names`);
  };
}

function unconfirmable(error: unknown): CallbackError {
  // The deadline's own refusal, as the budget's signal gives it.
  if (isCallbackError(error)) return error;
  if (error instanceof OssRefusal && error.status === 403) {
    return new CallbackError('Misconfigured', `OSS refused the receiver's HeadObject (${error.code}): confirm mode needs credentials allowed oss:GetObject on the bucket`, { cause: error });
  }
  const what = error instanceof OssRefusal ? `OSS answered ${error.status} ${error.code}` : 'OSS did not answer';
  return new CallbackError('ConfirmUnavailable', `could not confirm the upload with HeadObject: ${what}`, { cause: error });
}

/**
 * The step as a receiver is built with it: read-only credentials from OSS_ACCESS_KEY_* , the
 * invocation's (Function Compute's role) or ALIBABA_CLOUD_*, checked here so a receiver without them
 * does not start.
 */
export function confirmStep(settings: ServedBuckets, fromInvocation?: () => AliyunCredentials | undefined): ConfirmStep {
  const credentials = readerCredentials(process.env, fromInvocation);
  if (!credentials()) throw new ConfigError(`OSS_CALLBACK_CONFIRM needs read-only OSS credentials: ${READER_CREDENTIALS_HELP}`);
  return confirmUploads(settings.buckets, createOssClient({ location: settings.location, credentials }));
}

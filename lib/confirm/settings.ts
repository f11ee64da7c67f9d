import { isBucketName, ossLocation, servesEveryBucket, type OssLocation } from '../oss/location.js';

/** Confirm mode's configuration: the buckets the receiver serves and where their objects are read. */
export interface ConfirmSettings {
  buckets: readonly string[];
  location: OssLocation;
}

/**
 * OSS_CALLBACK_BUCKETS (comma-separated, required) with OSS_REGION and OSS_ENDPOINT, read when
 * OSS_CALLBACK_CONFIRM is on. Throws an Error naming the variable that is wrong.
 */
export function confirmSettings(env: NodeJS.ProcessEnv): ConfirmSettings {
  const buckets = (env.OSS_CALLBACK_BUCKETS ?? '')
    .split(',')
    .map((bucket) => bucket.trim())
    .filter(Boolean);
  if (buckets.length === 0) throw new Error('OSS_CALLBACK_CONFIRM needs OSS_CALLBACK_BUCKETS: the buckets this receiver serves, comma-separated');
  const wrong = buckets.find((bucket) => !isBucketName(bucket));
  if (wrong !== undefined) throw new Error(`OSS_CALLBACK_BUCKETS must list bucket names (3-63 of a-z, 0-9 and -), got ${JSON.stringify(wrong)}`);
  const location = ossLocation({ region: env.OSS_REGION, endpoint: env.OSS_ENDPOINT }, { region: 'OSS_REGION', endpoint: 'OSS_ENDPOINT' });
  if (buckets.length > 1 && !servesEveryBucket(location)) {
    throw new Error("OSS_ENDPOINT is one bucket's own address, and OSS_CALLBACK_BUCKETS names several: give a region endpoint (https://oss-<region>.aliyuncs.com) or none");
  }
  return { buckets, location };
}

import { isBucketName, ossLocation, servesEveryBucket, type OssLocation } from './location.js';

/** The buckets a deployment serves (OSS_CALLBACK_BUCKETS) and where their objects are read. */
export interface ServedBuckets {
  buckets: readonly string[];
  location: OssLocation;
}

/**
 * OSS_CALLBACK_BUCKETS (comma-separated, required) with OSS_REGION and OSS_ENDPOINT, for the feature
 * `neededBy` names (confirm mode, the scheduled reconcile). Throws an Error naming the variable that
 * is wrong.
 */
export function servedBuckets(env: NodeJS.ProcessEnv, neededBy: string): ServedBuckets {
  const buckets = (env.OSS_CALLBACK_BUCKETS ?? '')
    .split(',')
    .map((bucket) => bucket.trim())
    .filter(Boolean);
  if (buckets.length === 0) throw new Error(`${neededBy} needs OSS_CALLBACK_BUCKETS: the buckets this receiver serves, comma-separated`);
  const wrong = buckets.find((bucket) => !isBucketName(bucket));
  if (wrong !== undefined) throw new Error(`OSS_CALLBACK_BUCKETS must list bucket names (3-63 of a-z, 0-9 and -), got ${JSON.stringify(wrong)}`);
  const location = ossLocation({ region: env.OSS_REGION, endpoint: env.OSS_ENDPOINT }, { region: 'OSS_REGION', endpoint: 'OSS_ENDPOINT' });
  if (buckets.length > 1 && !servesEveryBucket(location)) {
    throw new Error("OSS_ENDPOINT is one bucket's own address, and OSS_CALLBACK_BUCKETS names several: give a region endpoint (https://oss-<region>.aliyuncs.com) or none");
  }
  return { buckets, location };
}

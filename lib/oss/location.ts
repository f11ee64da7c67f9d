import { standardRegion } from '../protocol/post-policy-v4.js';

/**
 * Where the OSS reader finds a bucket: its region (part of every V4 signature) and, optionally, an
 * endpoint. Read from OSS_REGION / OSS_ENDPOINT (the names the ticket function reads too) or the
 * CLI's --region / --endpoint.
 */
export interface OssLocation {
  /** Standard region id, `cn-hangzhou`. */
  region: string;
  /**
   * A region endpoint (`https://oss-cn-hangzhou.aliyuncs.com`, `-internal` too), which gets the bucket
   * in front of its host; or one bucket's own address (a custom domain, the simulator), used as it is.
   * Null: `https://<bucket>.oss-<region>.aliyuncs.com`.
   */
  endpoint: URL | null;
}

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(?:-[a-z0-9]+)+$/;
/** `oss-cn-hangzhou.aliyuncs.com`, `oss-cn-hangzhou-internal.aliyuncs.com`: serves every bucket of a region. */
const REGION_HOST = /^oss-([a-z]{2}(?:-[a-z0-9]+)+?)(?:-internal)?\.aliyuncs\.com$/;

export function isBucketName(name: string): boolean {
  return BUCKET.test(name);
}

/**
 * Check a region and an endpoint as given (either may be missing) and settle the location; the
 * region may come from a region endpoint's host. Errors name `names.region` / `names.endpoint`, the
 * variable or option the value came from.
 */
export function ossLocation(given: { region?: string | undefined; endpoint?: string | undefined }, names: { region: string; endpoint: string }): OssLocation {
  let endpoint: URL | null = null;
  if (given.endpoint) {
    try {
      endpoint = new URL(given.endpoint);
    } catch {
      throw new Error(`${names.endpoint} must be a URL, got ${JSON.stringify(given.endpoint)}`);
    }
    if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') throw new Error(`${names.endpoint} must be an http(s) URL, got ${JSON.stringify(given.endpoint)}`);
    if (endpoint.username || endpoint.password) throw new Error(`${names.endpoint} must not carry credentials`);
    if (endpoint.pathname !== '/' || endpoint.search) throw new Error(`${names.endpoint} must be an origin with no path or query, got ${JSON.stringify(given.endpoint)}`);
  }
  const region = given.region ? standardRegion(given.region) : REGION_HOST.exec(endpoint?.hostname ?? '')?.[1];
  if (!region) throw new Error(`${names.region} is required: the bucket's region, e.g. cn-hangzhou (OSS signatures name it)`);
  if (!REGION.test(region)) throw new Error(`${names.region} must be a region id such as cn-hangzhou, got ${JSON.stringify(given.region)}`);
  return { region, endpoint };
}

/** Whether the location serves any bucket (a region endpoint, or none) rather than one bucket's own address. */
export function servesEveryBucket(location: OssLocation): boolean {
  return location.endpoint === null || REGION_HOST.test(location.endpoint.hostname);
}

/** The origin requests for `bucket` go to: virtual-hosted on OSS's own hosts, as OSS wants. */
export function bucketOrigin(bucket: string, location: OssLocation): URL {
  if (location.endpoint === null) return new URL(`https://${bucket}.oss-${location.region}.aliyuncs.com`);
  if (!servesEveryBucket(location)) return location.endpoint;
  const url = new URL(location.endpoint.href);
  url.hostname = `${bucket}.${url.hostname}`;
  return url;
}

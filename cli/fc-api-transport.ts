import type FCClient from '@alicloud/fc2';
import type { AliyunCredentials } from '../lib/credentials.js';
import { fc3EventOf } from '../lib/platforms/sample-events.js';
import type { Fc3Result } from '../lib/platforms/fc3.types.js';
import { lowerCaseHeaders } from '../lib/platforms/wire.js';
import { withPeers } from '../lib/peer-package.js';
import type { Transport } from './remote-check.js';

/** A function as the Function Compute API (2016-08-15) names it: `fc:<region>/<service>/<function>`. */
export interface FcFunction {
  region: string;
  service: string;
  function: string;
  qualifier?: string;
}

export function parseFcTarget(target: string): FcFunction | undefined {
  const match = /^fc:([a-z0-9-]+)\/([^/]+)\/([^/]+)$/.exec(target);
  return match ? { region: match[1]!, service: match[2]!, function: match[3]! } : undefined;
}

export interface FcApiOptions {
  accountId: string;
  credentials: AliyunCredentials;
  /** Instead of https://<account>.<region>.fc.aliyuncs.com. */
  endpoint?: string;
  timeoutMs: number;
}

/**
 * Each request goes to the FC 3.0 event handler (`callback.fc3`) as the HTTP trigger event it would
 * get, through InvokeFunction signed with the caller's AccessKey: the trigger's own authentication,
 * if any, is not in the way, and the signed callback keeps its OSS `authorization` inside the event.
 * The handler's result `{ statusCode, headers, body }` is the answer.
 */
export async function fcApiTransport(fn: FcFunction, options: FcApiOptions): Promise<Transport> {
  const { default: Client } = (await withPeers(['@alicloud/fc2'], 'the fc: target', () => import('@alicloud/fc2'))) as { default: typeof FCClient };
  const { accessKeyId, accessKeySecret, securityToken } = options.credentials;
  const client = new Client(options.accountId, {
    accessKeyID: accessKeyId,
    accessKeySecret,
    ...(securityToken ? { securityToken } : {}),
    region: fn.region,
    secure: true,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    timeout: options.timeoutMs,
  });
  return async (request) => {
    const { headers, data } = await client.invokeFunction(fn.service, fn.function, JSON.stringify(fc3EventOf(request)), {}, fn.qualifier);
    const result = (typeof data === 'string' ? JSON.parse(data) : data) as Fc3Result & { errorMessage?: string };
    // FC answers 200 for a function that threw, and says so in a header.
    const failed = [headers['x-fc-error-type']].flat()[0];
    if (failed) throw new Error(`the function failed (${failed}): ${result.errorMessage ?? JSON.stringify(result)}`);
    return { status: result.statusCode, headers: lowerCaseHeaders(result.headers), body: Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8') };
  };
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from '../lib/logger.js';
import type { OssEventDocument } from '../lib/reconcile/oss-event.js';
import type { OssRequest } from './context.js';
import type { StoredObject } from './object-store.js';

/** The region and account the simulator's events name; it has neither. */
export const EVENT_REGION = 'cn-hangzhou';
const ACCOUNT = '1000000000000000';
const NOTIFY_TIMEOUT_MS = 5_000;

export type Notify = (event: OssEventDocument) => Promise<void>;

/**
 * The event Function Compute's OSS trigger hands a function when `object` is created (format in
 * lib/reconcile/oss-event.ts): the upload's request id in `responseElements`, the uploader's address
 * in `requestParameters`, the content type and user metadata in `objectMeta`.
 */
export function objectCreatedEvent(bucket: string, request: OssRequest, object: StoredObject, operation: string): OssEventDocument {
  return {
    events: [
      {
        eventName: `ObjectCreated:${operation}`,
        eventSource: 'acs:oss',
        eventTime: new Date(object.lastModified).toISOString(),
        eventVersion: '1.0',
        oss: {
          bucket: { arn: `acs:oss:${EVENT_REGION}:${ACCOUNT}:${bucket}`, name: bucket, ownerIdentity: ACCOUNT },
          object: { deltaSize: object.size, eTag: object.etag, key: object.key, size: object.size, objectMeta: { mimeType: object.contentType, userMeta: object.meta } },
          ossSchemaVersion: '1.0',
          ruleId: 'oss-sim',
        },
        region: EVENT_REGION,
        requestParameters: { sourceIPAddress: request.clientIp },
        responseElements: { requestId: request.requestId },
        userIdentity: { principalId: ACCOUNT },
      },
    ],
  };
}

/**
 * POST each event as JSON to `url`, as an event notification would reach a function. A failed or
 * slow delivery is logged and never fails the upload, as on OSS.
 */
export function eventNotifier(url: string, logger: Logger): Notify {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return (event) =>
    new Promise<void>((resolve) => {
      const body = Buffer.from(JSON.stringify(event));
      const done = (fields: Record<string, string | number>) => {
        logger.log('info', 'oss event', { url: `${target.origin}${target.pathname}`, eventName: event.events[0]?.eventName, ...fields });
        resolve();
      };
      const req = send(target, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length }, timeout: NOTIFY_TIMEOUT_MS });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${NOTIFY_TIMEOUT_MS} ms`)));
      req.on('error', (error) => done({ error: error.message }));
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0 }));
      });
      req.end(body);
    });
}

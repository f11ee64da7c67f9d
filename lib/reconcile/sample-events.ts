import type { ScheduledEvent } from 'aws-lambda';
import type { FcTimerEvent } from './handlers.js';
import type { OssEventDocument } from './oss-event.js';

/**
 * The reconcile function's sample events (events/reconcile/, written by `npm run events`): what an
 * EventBridge schedule, a Function Compute timer trigger and an FC OSS trigger send. The OSS event is
 * the PutObject upload of the callback samples (events/<door>/put-object-form.*): same bucket, key,
 * ETag, size and request id, so invoking it and then that callback shows the callback's record
 * replacing the event's.
 */
export const lambdaScheduleEvent: ScheduledEvent = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2024-05-07T04:00:00Z',
  region: 'ap-southeast-1',
  resources: ['arn:aws:events:ap-southeast-1:123456789012:rule/oss-upload-callback-dev-ReconcileEventsRuleSchedule1'],
  detail: {},
};

export const fc3TimerEvent: FcTimerEvent = { triggerTime: '2024-05-07T04:00:00Z', triggerName: 'reconcile-hourly', payload: '' };

export const fc3OssPutObjectEvent: OssEventDocument = {
  events: [
    {
      eventName: 'ObjectCreated:PutObject',
      eventSource: 'acs:oss',
      eventTime: '2024-05-07T03:06:13.000Z',
      eventVersion: '1.0',
      oss: {
        bucket: { arn: 'acs:oss:cn-hangzhou:1234567890123456:examplebucket', name: 'examplebucket', ownerIdentity: '1234567890123456' },
        object: {
          deltaSize: 48213,
          eTag: 'D8E8FCA2DC0F896FD7CB4CB0031BA249',
          key: 'uploads/2024/05/cat photo.jpg',
          size: 48213,
          objectMeta: { mimeType: 'image/jpeg', userMeta: {} },
        },
        ossSchemaVersion: '1.0',
        ruleId: 'reconcile-on-upload',
      },
      region: 'cn-hangzhou',
      requestParameters: { sourceIPAddress: '203.0.113.7' },
      responseElements: { requestId: '66399AA5000000003334673E' },
      userIdentity: { principalId: '1234567890123456' },
    },
  ],
};

export const RECONCILE_SAMPLE_EVENTS = {
  'lambda-schedule.json': lambdaScheduleEvent,
  'fc3-timer.json': fc3TimerEvent,
  'fc3-oss-put-object.json': fc3OssPutObjectEvent,
} as const;

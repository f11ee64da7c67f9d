import type { LambdaUrlEvent } from './lambda-url.js';

/**
 * AWS Lambda function URL / API Gateway HTTP API, payload format 2.0. The types are the ecosystem's
 * (`@types/aws-lambda`). The payload is documented at
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads, and a captured
 * request is in aws/aws-lambda-go `events/testdata/lambda-urls-request.json`.
 * - `rawPath` is the path as sent (still percent-encoded). `rawQueryString` is the query as sent,
 *   without `?` and empty when there is none.
 * - Header names are lower case and repeated values are joined with `,`. Cookies move to `cookies`.
 * - A body the service counts as binary comes base64 encoded (`isBase64Encoded`). Function URLs do
 *   this for some text types too, so the flag is the only thing to go by.
 *
 * A realistic event: the OSS-signed callback from the OSS Callback documentation (protocol note §7.2),
 * as a function URL hands it over. It verifies under the official OSS key.
 */
export const lambdaUrlSampleEvent: LambdaUrlEvent = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/index.php',
  rawQueryString: 'id=1&index=2',
  headers: {
    'content-length': '18',
    'content-type': 'application/x-www-form-urlencoded',
    authorization: 'kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==',
    host: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.ap-southeast-1.on.aws',
    'user-agent': 'http-client/0.0.1',
    'x-oss-pub-key-url': 'aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==',
  },
  queryStringParameters: { id: '1', index: '2' },
  requestContext: {
    accountId: 'anonymous',
    apiId: 'abcdefghijklmnopqrstuvwxyz012345',
    domainName: 'abcdefghijklmnopqrstuvwxyz012345.lambda-url.ap-southeast-1.on.aws',
    domainPrefix: 'abcdefghijklmnopqrstuvwxyz012345',
    http: { method: 'POST', path: '/index.php', protocol: 'HTTP/1.1', sourceIp: '121.43.113.8', userAgent: 'http-client/0.0.1' },
    requestId: 'c0ffee00-0000-4000-8000-000000000000',
    routeKey: '$default',
    stage: '$default',
    time: '05/Sep/2023:06:41:11 +0000',
    timeEpoch: 1693896071895,
  },
  body: 'YnVja2V0PXlvbmdodS10ZXN0',
  isBase64Encoded: true,
};

/**
 * Alibaba Cloud Function Compute 3.0, built-in Node.js runtime, event handler behind an HTTP trigger:
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function
 *
 * What the documentation says, and what it leaves out:
 * - The handler is `(event, context)`, and `event` arrives as a Buffer holding this JSON. The page does
 *   not say so; hono's FC3 adapter notes the same ("don't know why it's a buffer").
 * - `rawPath` is the path still URL-encoded. `requestContext.http.path` is the decoded one. The zh page
 *   says so ("rawPath是经过URL编码后").
 * - There is no raw query string, only `queryParameters`, with a repeated name's values joined by `,`.
 *   The page does not say whether values are percent-decoded. We assume they are, as in Lambda's
 *   `queryStringParameters`.
 * - `headers` joins repeated values with `,`. The page does not say how names are cased.
 * - `body` is base64 when `isBase64Encoded` is true ("if the content type is binary").
 * - The answer is `{ statusCode, headers?, isBase64Encoded?, body }`.
 */
export interface Fc3Event {
  version?: string;
  rawPath: string;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  queryParameters?: Record<string, string>;
  requestContext?: {
    accountId?: string;
    domainName?: string;
    domainPrefix?: string;
    http?: { method?: string; path?: string; protocol?: string; sourceIp?: string; userAgent?: string };
    requestId?: string;
    time?: string;
    timeEpoch?: string;
  };
}

export interface Fc3Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/**
 * The invocation context both FC handlers get (FC 2.0 and 3.0):
 * https://www.alibabacloud.com/help/en/functioncompute/user-guide/context
 * `credentials` are the STS credentials of the function's role. They rotate, so read them on every
 * invocation. FC gives no remaining-time call. `function.timeout` (seconds) bounds the invocation.
 */
export interface FcContext {
  requestId?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; handler?: string; memory?: number; timeout?: number };
  region?: string;
  accountId?: string;
}

/**
 * A realistic FC 3.0 event: the OSS-signed callback from the OSS Callback documentation (protocol note
 * §7.2, `POST /index.php?id=1&index=2`), as an FC 3.0 HTTP trigger would hand it over. This is the
 * documented event shape, not a capture. It verifies under the official OSS key only if the query is
 * rebuilt as `id=1&index=2`.
 */
export const fc3SampleEvent: Fc3Event = {
  version: 'v1',
  rawPath: '/index.php',
  body: 'bucket=yonghu-test',
  isBase64Encoded: false,
  headers: {
    'Content-Length': '18',
    'Content-Type': 'application/x-www-form-urlencoded',
    Authorization: 'kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==',
    'User-Agent': 'http-client/0.0.1',
    'X-Oss-Pub-Key-Url': 'aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==',
  },
  queryParameters: { id: '1', index: '2' },
  requestContext: {
    accountId: '123456*********',
    domainName: 'callback-abcd.cn-hangzhou.fcapp.run',
    domainPrefix: 'callback-abcd',
    http: { method: 'POST', path: '/index.php', protocol: 'HTTP/1.0', sourceIp: '121.43.113.8', userAgent: 'http-client/0.0.1' },
    requestId: '1-64f6cd87-0123456789abcdef01234567',
    time: '2023-09-05T06:41:11Z',
    timeEpoch: '1693896071895',
  },
};

import type { FcContext } from './fc3.types.js';

/**
 * Alibaba Cloud Function Compute 2.0, built-in Node.js runtime, HTTP handler `(req, resp, context)`:
 * https://www.alibabacloud.com/help/en/function-compute/latest/node-js-http-functions
 * (zh: https://help.aliyun.com/zh/functioncompute/fc-2-0/user-guide/http-handler)
 *
 * What the documentation says, and what it leaves out:
 * - `req` has `headers`, `path`, `queries` (values a string or an array), `method`, `clientIP` and
 *   `url` ("the URL of the request"). The page does not say whether `url` is absolute or only the
 *   path, so both forms are accepted. The raw query is the part of `url` after its first `?`.
 * - The body is `req.body` (a Buffer) in the documented example. Older runtimes hand over `req` as a
 *   readable stream to be read with `raw-body`. Both are handled.
 * - `resp` has `setStatusCode`, `setHeader`, `deleteHeader` and `send(Buffer | string | Readable)`.
 *   FC sets `content-length` itself and ignores ours.
 * - Header names starting with `x-fc-` and `connection`/`keep-alive` are reserved and not passed on.
 */
export interface Fc2Request {
  headers?: Record<string, string | string[]>;
  path?: string;
  queries?: Record<string, string | string[]>;
  method?: string;
  clientIP?: string;
  url?: string;
  body?: Buffer;
}

/** `req` in runtimes that hand it over unread. */
export type Fc2StreamRequest = Fc2Request & AsyncIterable<Buffer | string>;

export interface Fc2Response {
  setStatusCode(statusCode: number): void;
  setHeader(name: string, value: string): void;
  send(body: Buffer | string): void;
}

export type { FcContext };

/**
 * A realistic FC 2.0 request: the OSS-signed callback from the OSS Callback documentation (protocol
 * note §7.2), with `url` in origin form. It verifies under the official OSS key.
 */
export const fc2SampleRequest: Fc2Request = {
  method: 'POST',
  path: '/index.php',
  url: '/index.php?id=1&index=2',
  queries: { id: '1', index: '2' },
  clientIP: '121.43.113.8',
  headers: {
    'content-length': '18',
    'content-type': 'application/x-www-form-urlencoded',
    authorization: 'kKQeGTRccDKyHB3H9vF+xYMSrmhMZjzzl2/kdD1ktNVgbWEfYTQG0G2SU/RaHBovRCE8OkQDjC3uG33esH2txA==',
    'user-agent': 'http-client/0.0.1',
    'x-oss-pub-key-url': 'aHR0cDovL2dvc3NwdWJsaWMuYWxpY2RuLmNvbS9jYWxsYmFja19wdWJfa2V5X3YxLnBlbQ==',
  },
  body: Buffer.from('bucket=yonghu-test'),
};

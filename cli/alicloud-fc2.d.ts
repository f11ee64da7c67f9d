/**
 * The part of `@alicloud/fc2` (Function Compute API 2016-08-15; the package ships no types) that
 * `oss-callback invoke --remote fc:…` uses. From the SDK's lib/client.js.
 */
declare module '@alicloud/fc2' {
  interface FcClientConfig {
    accessKeyID: string;
    accessKeySecret: string;
    /** Required when the key id is an STS one (`STS.…`). */
    securityToken?: string;
    region: string;
    /** https to the default endpoint. */
    secure?: boolean;
    /** Instead of `http(s)://<account>.<region>.fc.aliyuncs.com`. */
    endpoint?: string;
    timeout?: number;
  }

  interface FcResponse {
    headers: Record<string, string | string[] | undefined>;
    /** The body: parsed when the answer says application/json, else text. */
    data: unknown;
  }

  export default class FCClient {
    constructor(accountId: string, config: FcClientConfig);
    invokeFunction(serviceName: string, functionName: string, event: string | Buffer, headers?: Record<string, string>, qualifier?: string): Promise<FcResponse>;
  }
}

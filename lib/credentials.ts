/**
 * Alibaba Cloud credentials as Function Compute hands them to each invocation (`context.credentials`,
 * STS, rotated by the platform) or as the standard environment variables give them.
 */
export interface AliyunCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/** `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`, when set. */
export function aliyunCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AliyunCredentials | undefined {
  return credentialsFromVariables(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'ALIBABA_CLOUD_SECURITY_TOKEN');
}

/** A key pair from two variables (both set, or none), with the STS token of a third when set. */
export function credentialsFromVariables(env: NodeJS.ProcessEnv, id: string, secret: string, token: string): AliyunCredentials | undefined {
  const accessKeyId = env[id];
  const accessKeySecret = env[secret];
  if (!accessKeyId || !accessKeySecret) return undefined;
  const securityToken = env[token];
  return securityToken ? { accessKeyId, accessKeySecret, securityToken } : { accessKeyId, accessKeySecret };
}

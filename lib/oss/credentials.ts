import { aliyunCredentialsFromEnv, credentialsFromVariables, type AliyunCredentials } from '../credentials.js';

/**
 * `OSS_ACCESS_KEY_ID` / `OSS_ACCESS_KEY_SECRET` (+ `OSS_SESSION_TOKEN` for STS credentials): the names
 * OSS's own SDKs and samples read, when set.
 */
export function ossCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AliyunCredentials | undefined {
  return credentialsFromVariables(env, 'OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SESSION_TOKEN');
}

/**
 * The credentials the OSS reader signs with, asked for on every request: the OSS_* variables first,
 * so a deploy can give the reader a read-only key of its own beside an ALIBABA_CLOUD_* key meant for
 * something else (the ticket function's PutObject-only key); then the invocation's (Function
 * Compute's rotating STS credentials of the function's role); then the ALIBABA_CLOUD_* variables.
 */
export function readerCredentials(
  env: NodeJS.ProcessEnv = process.env,
  fromInvocation?: () => AliyunCredentials | undefined,
): () => AliyunCredentials | undefined {
  const own = ossCredentialsFromEnv(env);
  return () => own ?? fromInvocation?.() ?? aliyunCredentialsFromEnv(env);
}

export const READER_CREDENTIALS_HELP = 'set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (with OSS_SESSION_TOKEN for STS credentials), or ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET';

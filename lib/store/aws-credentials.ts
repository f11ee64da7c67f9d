import { importAtRunTime } from '../runtime-import.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Called before every request; a provider that refreshes (the SDK's chain) caches on its own. */
export type CredentialProvider = () => Promise<AwsCredentials>;

/**
 * Imported at run time (importAtRunTime), so no bundler pulls the chain (SSO, STS, instance metadata:
 * hundreds of KiB) into a function bundle: Lambda and CI give keys in the environment, and a process
 * that needs profiles or instance roles runs from node_modules, where this package resolves.
 */
const DEFAULT_CHAIN = '@aws-sdk/credential-provider-node';

/**
 * Keys from the environment when it has them (Lambda sets all three), read once; otherwise the AWS
 * SDK's default chain (profiles, SSO, web identity, container and instance roles), loaded on the first
 * request that needs it.
 */
export function credentialsFromEnvironment(env: NodeJS.ProcessEnv = process.env): CredentialProvider {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (accessKeyId && secretAccessKey) {
    const fixed = Promise.resolve({ accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) });
    return () => fixed;
  }
  let chain: Promise<CredentialProvider> | undefined;
  return async () => {
    chain ??= loadDefaultChain();
    return (await chain)();
  };
}

async function loadDefaultChain(): Promise<CredentialProvider> {
  try {
    const { defaultProvider } = await importAtRunTime<typeof import('@aws-sdk/credential-provider-node')>(DEFAULT_CHAIN);
    return defaultProvider();
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or install @aws-sdk/credential-provider-node for profiles, SSO and roles',
      { cause: error },
    );
  }
}

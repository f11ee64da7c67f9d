import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynalite, type Dynalite } from '../../support/dynalite.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** The CLI as a user runs it: its own process, the environment without the test runner's switch. */
function runBin(argv: string[], env: NodeJS.ProcessEnv) {
  const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...inherited } = process.env;
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/bin.ts', ...argv], { cwd: ROOT, env: { ...inherited, ...env } });
}

describe('oss-callback and the AWS SDK', () => {
  let dynamo: Dynalite;
  beforeAll(async () => void (dynamo = await startDynalite()));
  afterAll(() => dynamo.stop());

  it('prints no AWS SDK Node-version notice when a command loads the SDK', async () => {
    // Act
    const run = await runBin(['store', 'init', '--store', 'dynamodb:notice-check'], {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });

    // Assess
    expect(run.stdout).toContain('ready: dynamodb:notice-check');
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript/);
  });
});

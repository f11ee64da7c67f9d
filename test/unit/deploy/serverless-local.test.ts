import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../support/temp-dir.js';

const require = createRequire(import.meta.url);
const Plugin = require('../../../scripts/serverless-local.cjs') as new (serverless: object) => { hooks: { initialize(): void } };

function run(commands: string[], serviceDir: string) {
  const serverless = { processedInput: { commands }, serviceDir, service: { provider: { environment: { UPLOAD_STORE: 'dynamodb:stage-table', LOG_LEVEL: 'debug' } } } };
  new Plugin(serverless).hooks.initialize();
  return serverless.service.provider.environment;
}

describe('the osls plugin in scripts/serverless-local.cjs', () => {
  const serviceDir = tempDir('serverless-local-');
  afterEach(() => vi.unstubAllEnvs());

  it('points invoke local at the receiver’s default SQLite file in the project, not the stage table', () => {
    vi.stubEnv('UPLOAD_STORE', '');
    expect(run(['invoke', 'local'], serviceDir)).toEqual({ UPLOAD_STORE: `sqlite:${join(serviceDir, 'data', 'uploads.db')}`, LOG_LEVEL: 'debug' });
  });

  it('lets the shell’s UPLOAD_STORE win for invoke local', () => {
    vi.stubEnv('UPLOAD_STORE', 'memory:');
    expect(run(['invoke', 'local'], serviceDir).UPLOAD_STORE).toBe('memory:');
  });

  it('leaves the deployed environment alone and empties the build folder before packaging', () => {
    mkdirSync(join(serviceDir, '.esbuild', '.build', 'data'), { recursive: true });
    expect(run(['package'], serviceDir).UPLOAD_STORE).toBe('dynamodb:stage-table');
    expect(existsSync(join(serviceDir, '.esbuild'))).toBe(false);
  });
});

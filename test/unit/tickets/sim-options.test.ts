import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandArgs } from '../../../cli/args.js';
import { SIM_ARGS, simulatorOptions } from '../../../cli/commands/sim.js';

const options = (argv: string[]) => simulatorOptions(parseCommandArgs(argv, SIM_ARGS, false).values);

describe('oss-callback sim options for browser uploads', () => {
  it('takes one or more CORS origins', () => {
    expect(options(['--cors-origin', 'http://127.0.0.1:9000', '--cors-origin', 'http://localhost:9000']).corsOrigins).toEqual([
      'http://127.0.0.1:9000',
      'http://localhost:9000',
    ]);
    expect(options([])).not.toHaveProperty('corsOrigins');
  });

  it('takes an STS security token only with the key pair', () => {
    expect(options(['--access-key-id', 'STS.id', '--access-key-secret', 's', '--security-token', 'T']).credentials).toEqual({
      accessKeyId: 'STS.id',
      accessKeySecret: 's',
      securityToken: 'T',
    });
    expect(() => options(['--security-token', 'T'])).toThrow(UsageError);
  });
});

import { describe, expect, it } from 'vitest';
import { UsageError, parseCommandArgs } from '../../../cli/args.js';
import { main } from '../../../cli/main.js';
import { SIM_ARGS, simulatorOptions } from '../../../cli/commands/sim.js';

const options = (argv: string[]) => simulatorOptions(parseCommandArgs(argv, SIM_ARGS, false).values);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (text: string | Uint8Array) => void out.push(String(text)), stderr: (text: string | Uint8Array) => void err.push(String(text)), stdin: process.stdin, env: {} } };
}

describe('oss-callback sim options', () => {
  it('has the documented defaults, with the trusted-keys file inside the data folder', () => {
    expect(options([])).toEqual({ dataDir: './data/oss-sim', bucket: 'dev-bucket', port: 9100, host: '127.0.0.1', trustedKeysOut: 'data/oss-sim/trusted-keys.json', callbackTimeoutMs: 5000 });
  });

  it('takes an access key pair only as a pair', () => {
    expect(options(['--access-key-id', 'id', '--access-key-secret', 's']).credentials).toEqual({ accessKeyId: 'id', accessKeySecret: 's' });
    expect(() => options(['--access-key-id', 'id'])).toThrow(UsageError);
  });

  it('takes an http(s) URL to post object-created events to', () => {
    expect(options(['--notify-url', 'http://127.0.0.1:9000/oss/events']).notifyUrl).toBe('http://127.0.0.1:9000/oss/events');
    expect(() => options(['--notify-url', 'localhost:9000'])).toThrow('--notify-url must be an http(s) URL');
  });

  it('refuses a port that is not one', () => {
    expect(() => options(['--port', '70000'])).toThrow(UsageError);
    expect(() => options(['--callback-timeout-ms', 'soon'])).toThrow(UsageError);
  });

  it('is listed in the command table and documents its defaults in --help', async () => {
    const help = capture();
    expect(await main(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/\bsim\b.*OSS simulator/);
    const usage = capture();
    expect(await main(['sim', '--help'], usage.io)).toBe(0);
    expect(usage.out.join('')).toContain('default 9100');
    expect(usage.out.join('')).toContain('default DIR/trusted-keys.json');
    const wrong = capture();
    expect(await main(['sim', '--bogus'], wrong.io)).toBe(2);
  });
});

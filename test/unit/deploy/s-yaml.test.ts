import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bundleFunction, ROOT } from '../../../scripts/functions-bundle.js';

/**
 * s.yaml cannot be deployed here: Serverless Devs downloads its fc3 component at run time. This
 * checks what can be checked offline. The file parses. It has the props the fc3 component requires,
 * with the types it accepts (its published schema: region, functionName, runtime, code and handler
 * required, memorySize a multiple of 64 from 128, environment values strings, an http trigger with
 * authType and methods). And the code folder and the handler it names exist in the built bundle.
 */
interface FcProps {
  region: string;
  functionName: string;
  runtime: string;
  code: string;
  handler: string;
  memorySize: number;
  timeout: number;
  environmentVariables: Record<string, unknown>;
  triggers: { triggerName: string; triggerType: string; triggerConfig: { authType: string; methods: string[] } }[];
}

const document = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as {
  edition: string;
  vars: Record<string, string>;
  resources: Record<string, { component: string; props: FcProps }>;
};
const props = document.resources.callback!.props;

describe('s.yaml', () => {
  beforeAll(async () => {
    await bundleFunction('callback');
  }, 60_000);

  it('is a Serverless Devs 3 project with one fc3 resource', () => {
    expect(document.edition).toBe('3.0.0');
    expect(Object.values(document.resources).map((resource) => resource.component)).toEqual(['fc3']);
  });

  it('has every prop fc3 requires, typed as its schema accepts', () => {
    for (const name of ['region', 'functionName', 'runtime', 'code', 'handler'] as const) expect(props[name], name).toEqual(expect.any(String));
    expect(props.runtime).toBe('nodejs20');
    expect(Number.isInteger(props.memorySize) && props.memorySize >= 128 && props.memorySize % 64 === 0).toBe(true);
    expect(Number.isInteger(props.timeout) && props.timeout > 5).toBe(true);
    for (const [name, value] of Object.entries(props.environmentVariables)) expect(typeof value, name).toBe('string');
  });

  it('opens an anonymous POST HTTP trigger, since OSS carries its own signature in Authorization', () => {
    expect(props.triggers).toEqual([
      { triggerName: expect.any(String), triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['POST'] } },
    ]);
  });

  it('stores records in Tablestore and says where, through the environment the receiver reads', () => {
    expect(props.environmentVariables.UPLOAD_STORE).toBe('tablestore:${vars.tablestoreInstance}/${vars.tablestoreTable}');
    expect(props.environmentVariables.TABLESTORE_ENDPOINT).toMatch(/^https:\/\//);
    expect(document.vars.tablestoreTable).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  });

  it('points at the built bundle, whose entry exports the handler it names', async () => {
    const codeDir = join(ROOT, props.code);
    const [file, exported] = props.handler.split('.');
    const entry = join(codeDir, `${file}.js`);
    expect(existsSync(entry)).toBe(true);
    const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    expect(typeof module[exported!]).toBe('function');
  });
});

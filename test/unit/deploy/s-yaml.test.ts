import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { openTablestoreStore } from '../../../lib/store/tablestore.js';
import { LIST_INDEX, LIST_INDEX_FIELDS } from '../../../lib/store/tablestore-admin.js';
import { bundleFunction, ROOT } from '../../../scripts/functions-bundle.js';

/**
 * s.yaml cannot be deployed here: Serverless Devs downloads its fc3 component at run time. This
 * checks what can be checked offline. The file parses. Each resource has the props the fc3 component
 * requires, with the types it accepts (its published schema: region, functionName, runtime, code and
 * handler required, memorySize a multiple of 64 from 128, environment values strings, an http trigger
 * with authType and methods). The code folders and handlers it names exist in the built bundles. And
 * the Tablestore table the pre-deploy action creates is the one the receiver is configured to write.
 */
interface FcProps {
  region: string;
  functionName: string;
  runtime: string;
  code: string;
  handler: string;
  memorySize: number;
  timeout: number;
  role: string;
  environmentVariables: Record<string, unknown>;
  triggers: { triggerName: string; triggerType: string; triggerConfig: { authType: string; methods: string[] } }[];
}

const document = parse(readFileSync(join(ROOT, 's.yaml'), 'utf8')) as {
  edition: string;
  vars: Record<string, string>;
  actions: Record<string, { run: string; path: string }[]>;
  resources: Record<string, { component: string; props: FcProps }>;
};
const callback = document.resources.callback!.props;
const ticket = document.resources.ticket!.props;

/** What Serverless Devs makes of `${vars.name}`, for the vars this file uses (plain strings). */
function resolveVars(text: string): string {
  return text.replace(/\$\{vars\.([A-Za-z]+)\}/g, (_, name: string) => {
    const value = document.vars[name];
    if (typeof value !== 'string') throw new Error(`s.yaml uses \${vars.${name}}, which vars does not define`);
    return value;
  });
}

/** The store init the pre-deploy action runs: `TABLESTORE_ENDPOINT=<url> npx oss-callback store init --store <uri>`. */
function preDeployInit(): { endpoint: string; store: string } {
  const commands = (document.actions['pre-deploy'] ?? []).map((action) => action.run);
  const init = commands.map((command) => /^TABLESTORE_ENDPOINT=(\S+) npx oss-callback store init --store (\S+)$/.exec(command)).find(Boolean);
  if (!init) throw new Error(`no store init among the pre-deploy actions: ${JSON.stringify(commands)}`);
  return { endpoint: init[1]!, store: init[2]! };
}

describe('s.yaml', () => {
  beforeAll(async () => {
    await Promise.all([bundleFunction('callback-fc'), bundleFunction('ticket')]);
  }, 60_000);

  it('is a Serverless Devs 3 project with three fc3 resources, the receiver, the ticket function and the reconcile function', () => {
    expect(document.edition).toBe('3.0.0');
    expect(Object.entries(document.resources).map(([name, resource]) => [name, resource.component])).toEqual([
      ['callback', 'fc3'],
      ['ticket', 'fc3'],
      ['reconcile', 'fc3'],
    ]);
    expect(ticket.functionName).not.toBe(callback.functionName);
  });

  it.each([
    ['callback', callback],
    ['ticket', ticket],
  ])('%s: has every prop fc3 requires, typed as its schema accepts', (_, props) => {
    for (const name of ['region', 'functionName', 'runtime', 'code', 'handler'] as const) expect(props[name], name).toEqual(expect.any(String));
    expect(props.runtime).toBe('nodejs20');
    expect(Number.isInteger(props.memorySize) && props.memorySize >= 128 && props.memorySize % 64 === 0).toBe(true);
    expect(Number.isInteger(props.timeout) && props.timeout > 5).toBe(true);
    for (const [name, value] of Object.entries(props.environmentVariables)) expect(typeof value, name).toBe('string');
  });

  it.each([
    ['callback', callback, 'callback-fc', 'callback-fc.fc3'],
    ['ticket', ticket, 'ticket', 'ticket.fc3'],
  ])('%s: points at its built bundle, whose entry exports the FC 3.0 handler it names', async (_, props, bundle, handler) => {
    expect(props.code).toBe(`./dist/functions/${bundle}`);
    expect(props.handler).toBe(handler);
    const [file, exported] = props.handler.split('.');
    const entry = join(ROOT, props.code, `${file}.js`);
    expect(existsSync(entry)).toBe(true);
    const module = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
    expect(typeof module[exported!]).toBe('function');
  });

  it('opens an anonymous POST HTTP trigger on the receiver, since OSS carries its own signature in Authorization', () => {
    expect(callback.triggers).toEqual([
      { triggerName: expect.any(String), triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['POST'] } },
    ]);
  });

  it('opens an anonymous POST and OPTIONS trigger on the ticket function, which checks bearer tokens and answers CORS preflights itself', () => {
    expect(ticket.triggers).toEqual([
      { triggerName: expect.any(String), triggerType: 'http', triggerConfig: { authType: 'anonymous', methods: ['POST', 'OPTIONS'] } },
    ]);
    expect(ticket.environmentVariables.OSS_TICKET_CORS_ORIGINS).toBe("${env('OSS_TICKET_CORS_ORIGINS', '')}");
  });

  it('gives each function a role of its own: the ticket function signs forms with its STS credentials, not an AccessKey', () => {
    for (const props of [callback, ticket]) expect(resolveVars(props.role)).toMatch(/^acs:ram::\$\{config\('AccountID'\)\}:role\/[\w.@-]+$/);
    expect(resolveVars(ticket.role)).not.toBe(resolveVars(callback.role));
    expect(Object.keys(ticket.environmentVariables).filter((name) => name.startsWith('ALIBABA_CLOUD_'))).toEqual([]);
  });

  it('shares the ticket keys between the two functions, and gives the ticket function no store', () => {
    expect(ticket.environmentVariables.OSS_TICKET_KEYS).toBe("${env('OSS_TICKET_KEYS', '')}");
    expect(callback.environmentVariables.OSS_TICKET_KEYS).toBe(ticket.environmentVariables.OSS_TICKET_KEYS);
    expect(Object.keys(ticket.environmentVariables).filter((name) => /^(UPLOAD_STORE|TABLESTORE_)/.test(name))).toEqual([]);
  });

  describe('the Tablestore table', () => {
    it('is built, then created by the receiver’s own store init, before every deploy, from the project folder', () => {
      const actions = document.actions['pre-deploy']!;
      expect(actions.map((action) => action.path)).toEqual(['./', './']);
      expect(actions[0]!.run).toBe('npm run build');
      expect(actions[1]!.run).toBe(`TABLESTORE_ENDPOINT=${preDeployInit().endpoint} npx oss-callback store init --store ${preDeployInit().store}`);
    });

    it('is the one the receiver writes: the init’s store and endpoint are the callback function’s UPLOAD_STORE and TABLESTORE_ENDPOINT', () => {
      const init = preDeployInit();
      expect(init.store).toBe(callback.environmentVariables.UPLOAD_STORE);
      expect(init.endpoint).toBe(callback.environmentVariables.TABLESTORE_ENDPOINT);
    });

    it('names an instance and table the adapter opens, at the endpoint of that instance in the functions’ region', async () => {
      const store = resolveVars(preDeployInit().store);
      const endpoint = new URL(resolveVars(preDeployInit().endpoint));
      const match = /^tablestore:([^/]+)\/([^/]+)$/.exec(store);
      expect(match, store).not.toBeNull();
      const [, instance, table] = match!;
      expect(endpoint.protocol).toBe('https:');
      expect(endpoint.hostname).toBe(`${instance}.${resolveVars(callback.region)}.ots.aliyuncs.com`);
      const opened = await openTablestoreStore(instance!, table!, { endpoint: endpoint.href });
      try {
        expect(opened.description).toBe(store);
      } finally {
        await opened.close();
      }
    });

    it('points readers at the schema the adapter creates, which exists under the names given', () => {
      const text = readFileSync(join(ROOT, 's.yaml'), 'utf8');
      expect(text).toContain('lib/store/tablestore-admin.ts');
      for (const name of ['LIST_INDEX', 'LIST_INDEX_FIELDS']) expect(text).toContain(name);
      expect(LIST_INDEX).toEqual(expect.any(String));
      expect(LIST_INDEX_FIELDS.length).toBeGreaterThan(0);
    });
  });
});

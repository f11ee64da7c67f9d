import { callbackBodyTemplate, CONTENT_TYPES, type BodyType } from '../../lib/protocol/templates.js';
import { EXIT, UsageError, parseCommandArgs, type Command } from '../args.js';

export function bodyType(value: string | undefined): BodyType {
  if (value === undefined) return 'form';
  if (value !== 'form' && value !== 'json') throw new UsageError(`--type must be form or json, got ${JSON.stringify(value)}`);
  return value;
}

export const command: Command = {
  summary: 'print the recommended callback body template',
  usage: `Usage: oss-callback template [--type form|json] [--var NAME]...

Prints the callback body template that carries every system variable the upload record needs, for
the callbackBody field of the OSS callback parameter. Custom variables are added as x:NAME=\${x:NAME}.

Options:
  --type form|json   body type (default form: every value arrives as exact text)
  --var NAME         add a custom variable, e.g. --var uid (repeatable)
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { type: { type: 'string' }, var: { type: 'string', multiple: true } }, false);
    const type = bodyType(values.type);
    let template: string;
    try {
      template = callbackBodyTemplate(type, values.var ?? []);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    io.stdout(`${template}\n`);
    io.stderr(`callbackBodyType: ${CONTENT_TYPES[type]}\n`);
    return EXIT.ok;
  },
};

import { EXIT, UsageError, parseCommandArgs, type Command } from '../args.js';
import { STORE_OPTION_HELP, openStoreFor, storeOption } from './store-option.js';

export const command: Command = {
  summary: 'set up the upload store: store init creates its table and indexes',
  usage: `Usage: oss-callback store init [--store URI]

Creates the table the store needs, and the indexes that listing records uses, when they do not
exist. Safe to run again: what exists is left as it is. For DynamoDB it also turns on TTL clean-up
of stale claims (a local emulator without TTL gets a note, not a failure).

Options:
${STORE_OPTION_HELP}
`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, storeOption);
    const [action, ...extra] = positionals;
    if (action !== 'init') throw new UsageError(action === undefined ? 'name an action: init' : `unknown action "${action}"; the action is init`);
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const store = await openStoreFor(values.store, io.env);
    try {
      await store.init({ report: (line) => io.stdout(`${line}\n`) });
      io.stdout(`ready: ${store.description}\n`);
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

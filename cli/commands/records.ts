import type { ListQuery } from '../../lib/store/port.js';
import { RECORD_SOURCES, type RecordSource, type UploadRecord } from '../../lib/store/record.js';
import { EXIT, UsageError, parseCommandArgs, wholeNumberOption, type Command } from '../args.js';
import { terminalSafeCell } from '../terminal-safe.js';
import { STORE_OPTION_HELP, openStoreFor, storeOption } from './store-option.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

export const command: Command = {
  summary: 'list stored upload records, newest first',
  usage: `Usage: oss-callback records [--json] [--store URI] [--bucket B [--prefix P]] [--var x:name=value] [--uploader U] [--source S] [--limit N]

Lists the stored upload records, newest first. Filters combine: every one given must hold.

Options:
${STORE_OPTION_HELP}
  --bucket B       records of this bucket
  --prefix P       whose object key starts with P (needs --bucket)
  --var NAME=VALUE whose custom variable NAME has VALUE, e.g. --var x:uid=42
  --uploader U     uploaded with a ticket issued to U
  --source S       where the record came from: callback (OSS's callback), reconcile (a listing
                   of the bucket, oss-callback reconcile) or event (an OSS ObjectCreated event)
  --limit N        at most N records (default ${DEFAULT_LIMIT}, up to ${MAX_LIMIT})
  --json           a JSON array of the records instead of a table
`,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        ...storeOption,
        json: { type: 'boolean' },
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        var: { type: 'string' },
        uploader: { type: 'string' },
        source: { type: 'string' },
        limit: { type: 'string' },
      },
      false,
    );
    const query = listQuery(values);
    // Reading never creates a store: only the receiver and `store init` do.
    const store = await openStoreFor(values.store, io.env, { mustExist: true });
    try {
      const records = await store.list(query);
      io.stdout(values.json ? `${JSON.stringify(records, null, 2)}\n` : table(records));
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

function listQuery(values: { bucket?: string; prefix?: string; var?: string; uploader?: string; source?: string; limit?: string }): ListQuery {
  const limit = wholeNumberOption(values.limit, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  if (values.prefix !== undefined && values.bucket === undefined) throw new UsageError('--prefix needs --bucket');
  const query: ListQuery = { limit };
  if (values.bucket !== undefined) query.bucket = values.bucket;
  if (values.prefix !== undefined) query.prefix = values.prefix;
  if (values.uploader !== undefined) query.uploader = values.uploader;
  if (values.source !== undefined) {
    if (!(RECORD_SOURCES as readonly string[]).includes(values.source)) throw new UsageError(`--source must be one of ${RECORD_SOURCES.join(', ')}`);
    query.source = values.source as RecordSource;
  }
  if (values.var !== undefined) {
    const equals = values.var.indexOf('=');
    if (equals < 1) throw new UsageError('--var takes NAME=VALUE, e.g. --var x:uid=42');
    query.variable = { name: values.var.slice(0, equals), value: values.var.slice(equals + 1) };
  }
  return query;
}

const COLUMNS: [string, (record: UploadRecord) => string][] = [
  ['RECEIVED', (record) => record.receivedAt],
  ['SOURCE', (record) => record.source],
  ['BUCKET', (record) => record.bucket],
  ['OBJECT', (record) => record.object],
  ['SIZE', (record) => (record.size === null ? '-' : String(record.size))],
  ['UPLOADER', (record) => record.uploader ?? '-'],
  ['VARS', (record) => Object.entries(record.vars).map(([name, value]) => `${name}=${value}`).join(' ') || '-'],
  ['ID', (record) => record.id],
];

function table(records: UploadRecord[]): string {
  if (records.length === 0) return 'no records\n';
  // Keys and variables come from uploaders: what a terminal would act on is printed escaped.
  const rows = [COLUMNS.map(([title]) => title), ...records.map((record) => COLUMNS.map(([, cell]) => terminalSafeCell(cell(record))))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number))).join('  ')).join('\n') + '\n';
}

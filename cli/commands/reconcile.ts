import { DEFAULT_STORE } from '../../lib/config.js';
import { createOssClient } from '../../lib/oss/client.js';
import { READER_CREDENTIALS_HELP, readerCredentials } from '../../lib/oss/credentials.js';
import { parseDatedPrefix } from '../../lib/oss/dated-prefix.js';
import { isBucketName, ossLocation, type OssLocation } from '../../lib/oss/location.js';
import { checkpointName } from '../../lib/reconcile/checkpoint.js';
import { DEFAULT_FOLDER_LAG } from '../../lib/reconcile/function-config.js';
import { RECONCILE_DEFAULTS, reconcile, type ReconcileSummary } from '../../lib/reconcile/reconcile.js';
import { coveragePercent, type UploadCounts } from '../../lib/stats/upload-stats.js';
import { EXIT, UsageError, durationOption, parseCommandArgs, requireOption, type Command, type CommandIo } from '../args.js';
import { terminalSafe, terminalSafeInLine, terminalSafeJson } from '../terminal-safe.js';
import { STORE_OPTION_HELP, openStoreFor, storeOption } from './store-option.js';

const DEFAULTS = { since: '24h', grace: '2m' } as const;
/** The run stopped at --time-limit before it reached every key: run it again to go on. */
const EXIT_INCOMPLETE = 3;
/** How often a terminal's progress line is redrawn. */
const PROGRESS_EVERY_MS = 250;
/** Of --time-limit, what is kept back to stop cleanly: keep the checkpoint, close the store, print. */
const STOP_RESERVE = { share: 0.2, maxMs: 5_000 } as const;

export const command: Command = {
  summary: 'record the uploads whose callback never arrived, from a listing of the bucket',
  usage: `Usage: oss-callback reconcile --bucket B [--prefix P] [--since ${DEFAULTS.since}] [--grace ${DEFAULTS.grace}] [--time-limit D]
                           [--region R] [--endpoint URL] [--store URI] [--concurrency N] [--dry-run] [--json]

OSS never retries a callback: an upload whose callback failed (203 CallbackFailed) is in the bucket
and not in the table. This lists bucket B (ListObjectsV2) for objects last modified between now - SINCE
and now - GRACE, asks the store in batches which of them a record already holds (made by their
callback, an OSS event or an earlier run), reads each other one with HeadObject and records it
(source reconcile: size, ETag, content type, CRC-64, last-modified, user metadata). A record a
callback made is never touched; a callback arriving later replaces this one. Run it again, or several
at once: each upload still has one record.

Options:
  --bucket B         the bucket to list (required)
  --prefix P         only keys that start with P. A dated prefix, photos/{yyyy}/{mm}/{dd}/ (UTC; {yyyy},
                     then {mm}, {dd}, {hh}), lists only the folders the window touches
  --folder-lag D     with a dated prefix: how long after its folder's time an object may be written
                     there (default ${DEFAULT_FOLDER_LAG}: the ticket function's form lifetime and upload window)
  --since D          how far back to look (default ${DEFAULTS.since}); D is 90s, 2m, 24h, 7d or 1h30m
  --grace D          leave out the last D (default ${DEFAULTS.grace}): those uploads' callbacks may still come
  --time-limit D     stop cleanly before D has passed; the next run with the same options goes on where
                     this one stopped (its place is kept in the store)
  --region R         the bucket's region, cn-hangzhou (default: $OSS_REGION, or the region endpoint's)
  --endpoint URL     a region endpoint (https://oss-cn-hangzhou-internal.aliyuncs.com), or one bucket's
                     own address, used as it is: a custom domain, the simulator (http://127.0.0.1:9100)
                     (default: $OSS_ENDPOINT, else https://B.oss-R.aliyuncs.com)
${STORE_OPTION_HELP}
  --concurrency N    objects read and recorded at once (default ${RECONCILE_DEFAULTS.concurrency})
  --dry-run          list and read, write nothing; "recorded now" counts what would be recorded
  --json             the summary as JSON on stdout

Credentials (read-only: oss:ListObjects and oss:GetObject on the bucket): OSS_ACCESS_KEY_ID,
OSS_ACCESS_KEY_SECRET and, for STS credentials, OSS_SESSION_TOKEN; else ALIBABA_CLOUD_ACCESS_KEY_ID,
ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN.

A run keeps its place in the store as it goes. One that stops (--time-limit, an interruption, an object
it could not record) is resumed by the next run with the same options, over the same window, instead
of starting over. On a terminal it shows its progress on stderr; it ends with a summary (listed,
already recorded, recorded now, gone, failed, the uploads by source and the callback coverage).
Exit 0 when every object of the window is accounted for; 1 when one failed, when a listing was wrong
(what was wrong is named; nothing from that page is recorded), or when the bucket cannot be listed,
the credentials are refused or the store cannot be read (nothing is written then); 2 for a usage
error; 3 when --time-limit stopped it first: run it again to go on.
`,
  async run(argv, io) {
    const started = Date.now();
    const { values } = parseCommandArgs(
      argv,
      {
        ...storeOption,
        bucket: { type: 'string' },
        prefix: { type: 'string' },
        'folder-lag': { type: 'string' },
        since: { type: 'string' },
        grace: { type: 'string' },
        'time-limit': { type: 'string' },
        region: { type: 'string' },
        endpoint: { type: 'string' },
        concurrency: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      false,
    );
    const bucket = requireOption(values.bucket, 'bucket');
    if (!isBucketName(bucket)) throw new UsageError(`--bucket "${bucket}" is not a bucket name (3-63 of a-z, 0-9 and -)`);
    const prefix = values.prefix ?? '';
    try {
      parseDatedPrefix(prefix);
    } catch (error) {
      throw new UsageError(`--prefix: ${(error as Error).message}`);
    }
    const since = durationOption(values.since ?? DEFAULTS.since, 'since');
    const grace = durationOption(values.grace ?? DEFAULTS.grace, 'grace');
    const folderLag = durationOption(values['folder-lag'] ?? DEFAULT_FOLDER_LAG, 'folder-lag');
    if (grace >= since) throw new UsageError('--grace must be shorter than --since, or the window is empty');
    const timeLimit = values['time-limit'] === undefined ? undefined : durationOption(values['time-limit'], 'time-limit');
    if (timeLimit === 0) throw new UsageError('--time-limit must be longer than 0s');
    const concurrency = Number(values.concurrency ?? RECONCILE_DEFAULTS.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be a whole number from 1 to 64');
    const location = locationFrom(values, io.env);
    const credentials = readerCredentials(io.env);
    if (!credentials()) {
      io.stderr(`oss-callback reconcile: no OSS credentials: ${READER_CREDENTIALS_HELP}\n`);
      return EXIT.refused;
    }

    const store = await openStoreFor(values.store, io.env).catch((error: unknown) => {
      throw new Error(`cannot open the store ${values.store || io.env.UPLOAD_STORE || DEFAULT_STORE}: ${(error as Error).message}`, { cause: error });
    });
    const oss = createOssClient({ location, credentials });
    const progress = io.stderrIsTTY && !values.json ? progressLine(io) : undefined;
    try {
      const now = Date.now();
      const summary = await reconcile({
        store,
        oss,
        bucket,
        prefix,
        folderLagMs: folderLag,
        from: new Date(now - since),
        to: new Date(now - grace),
        dryRun: values['dry-run'] ?? false,
        concurrency,
        checkpoint: checkpointName({ bucket, prefix, sinceMs: since, graceMs: grace, folderLagMs: folderLag }),
        ...(timeLimit === undefined ? {} : { stopAt: started + timeLimit - Math.min(STOP_RESERVE.maxMs, timeLimit * STOP_RESERVE.share) }),
        ...(progress ? { onProgress: progress.update } : {}),
      });
      progress?.done();
      io.stdout(values.json ? `${terminalSafeJson(summary, 2)}\n` : report(summary, store.putCheckpoint !== undefined));
      if (summary.error) io.stderr(`oss-callback reconcile: ${terminalSafe(summary.error)}\n`);
      if (summary.failed > 0 || summary.error) return EXIT.refused;
      return summary.complete ? EXIT.ok : EXIT_INCOMPLETE;
    } finally {
      progress?.done();
      oss.close();
      await store.close();
    }
  },
};

function locationFrom(values: { region?: string; endpoint?: string }, env: NodeJS.ProcessEnv): OssLocation {
  try {
    return ossLocation(
      { region: values.region ?? env.OSS_REGION, endpoint: values.endpoint ?? env.OSS_ENDPOINT },
      { region: '--region (or OSS_REGION)', endpoint: '--endpoint (or OSS_ENDPOINT)' },
    );
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** One line on stderr, redrawn in place as objects settle, at most every PROGRESS_EVERY_MS; the last counts when done. */
function progressLine(io: CommandIo) {
  const startedAt = Date.now();
  let drawnAt = 0;
  let latest: ReconcileSummary | undefined;
  const draw = (summary: ReconcileSummary) => {
    const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000);
    io.stderr(
      `\r\x1b[Klisted ${summary.listed}, already recorded ${summary.alreadyRecorded}, recorded ${summary.recorded}, gone ${summary.gone}, failed ${summary.failed}, ${Math.round(summary.listed / seconds)} objects/s`,
    );
  };
  return {
    update(summary: ReconcileSummary) {
      latest = summary;
      if (Date.now() - drawnAt < PROGRESS_EVERY_MS) return;
      drawnAt = Date.now();
      draw(summary);
    },
    done() {
      if (!latest) return;
      draw(latest);
      io.stderr('\n');
      latest = undefined;
    },
  };
}

function report(summary: ReconcileSummary, keepsCheckpoints: boolean): string {
  const where = `bucket ${summary.bucket}${summary.prefix ? `, keys under ${terminalSafeInLine(summary.prefix)}` : ''}${summary.folders > 1 ? ` (${summary.folders} folders)` : ''}`;
  const rows: [string, number][] = [
    ['listed', summary.listed],
    ['already recorded', summary.alreadyRecorded],
    [summary.dryRun ? 'would record' : 'recorded now', summary.recorded],
    ['gone', summary.gone],
    ['failed', summary.failed],
  ];
  if (summary.unsettled > 0) rows.push(['not settled', summary.unsettled]);
  const lines = [`${summary.dryRun ? 'dry run, nothing written: ' : ''}${summary.resumed ? 'resumed: ' : ''}${where}, last modified ${summary.from} to ${summary.to}`];
  for (const [label, count] of rows) lines.push(`${label.padEnd(17)}${String(count).padStart(6)}`);
  const coverage = coverageLine(summary.uploads);
  if (coverage) lines.push(coverage);
  const { requests } = summary;
  lines.push(`requests: ${requests.list} list, ${requests.head} HeadObject, ${requests.storeReads} store reads, ${requests.storeWrites} store writes`);
  for (const failure of summary.failures) lines.push(`failed: ${terminalSafeJson(failure.object)}: ${terminalSafeInLine(failure.error)}`);
  if (summary.failed > summary.failures.length) lines.push(`(${summary.failed - summary.failures.length} more failures not shown)`);
  if (summary.left) {
    const at = `${terminalSafeJson(summary.left.folder)}${summary.left.after === null ? '' : ` after ${terminalSafeJson(summary.left.after)}`}`;
    const more = summary.left.foldersAfter > 0 ? `, then ${summary.left.foldersAfter} more folders` : '';
    lines.push(
      keepsCheckpoints && !summary.dryRun
        ? `not complete: the next run with the same options goes on in ${at}${more}`
        : `not complete: stopped in ${at}${more}; ${summary.dryRun ? 'a dry run keeps no place' : 'this store keeps no checkpoint'}, so the next run starts over`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** `callback coverage 99.2% (248 of 250 uploads; …)`, in `stats`'s terms; '' with no uploads. */
function coverageLine(uploads: UploadCounts): string {
  if (uploads.coverage === null) return '';
  return `callback coverage ${coveragePercent(uploads.coverage)} (${uploads.callback} of ${uploads.total} uploads; recovered: ${uploads.event} by event, ${uploads.reconcile} by reconcile)`;
}

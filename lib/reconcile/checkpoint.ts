import { createHash } from 'node:crypto';

/**
 * Where a reconcile pass has got to, kept in the store (UploadStore.putCheckpoint) under a name made
 * from the run's arguments, so the next run with the same arguments goes on from there.
 *
 * A pass is one window [from, to] over every folder it touches. While it is under way the checkpoint
 * holds that window and the position: every key up to `after` in `folder` (and every key of the
 * folders before it) is settled. A run that resumes keeps the pass's window, so the pass covers the
 * same times for every key. When the pass is over the checkpoint says so, with the window's end:
 * after a pass that took several runs the next one starts no later than that end, so the keys the
 * pass reached early are not left uncovered for the time the pass took.
 */
export type PassCheckpoint =
  | { v: 1; prefix: string; from: string; to: string; runs: number; folder: string; after: string | null }
  | { v: 1; prefix: string; done: true; to: string; runs: number };

export interface RunArguments {
  bucket: string;
  prefix: string;
  sinceMs: number;
  graceMs: number;
  folderLagMs: number;
}

/** `reconcile:<hash of the arguments>`: within the port's name limits whatever the prefix. */
export function checkpointName(run: RunArguments): string {
  const hash = createHash('sha256').update(JSON.stringify([run.bucket, run.prefix, run.sinceMs, run.graceMs, run.folderLagMs])).digest('hex');
  return `reconcile:${hash.slice(0, 40)}`;
}

/** The checkpoint as stored, or undefined for none or one this version cannot read (the pass then starts over). */
export function parseCheckpoint(text: string | undefined, prefix: string): PassCheckpoint | undefined {
  if (text === undefined) return undefined;
  let value: Partial<Record<string, unknown>>;
  try {
    value = JSON.parse(text) as Partial<Record<string, unknown>>;
  } catch {
    return undefined;
  }
  if (value.v !== 1 || value.prefix !== prefix || typeof value.to !== 'string' || Number.isNaN(Date.parse(value.to)) || !Number.isSafeInteger(value.runs)) return undefined;
  if (value.done === true) return value as PassCheckpoint;
  const ok = typeof value.from === 'string' && !Number.isNaN(Date.parse(value.from)) && typeof value.folder === 'string' && (value.after === null || typeof value.after === 'string');
  return ok ? (value as PassCheckpoint) : undefined;
}

/**
 * A key prefix with the date in it, `photos/{yyyy}/{mm}/{dd}/`: the layout that lets a listing follow
 * time. OSS lists in key order, whatever an object's age; keys under a folder per day (or hour) let
 * the reconcile list only the folders its window touches, and the ticket function issue keys there.
 *
 * The fields are the UTC year, month, day and hour, zero-padded: `{yyyy}`, then optionally `{mm}`,
 * `{dd}` and `{hh}`, each at most once and in that order, so a later folder always sorts after an
 * earlier one. A prefix without `{` is a plain prefix.
 */
export interface DatedPrefix {
  /** As written. */
  readonly template: string;
  /** The finest field; undefined for a plain prefix. */
  readonly unit: Unit | undefined;
}

type Unit = 'yyyy' | 'mm' | 'dd' | 'hh';
const UNITS: readonly Unit[] = ['yyyy', 'mm', 'dd', 'hh'];
/** A listing per folder: more folders than this in one window is a mistake in the window or the unit. */
export const MAX_FOLDERS = 10_000;

export function parseDatedPrefix(template: string): DatedPrefix {
  const fields = [...template.matchAll(/\{([^{}]*)\}/g)].map((match) => match[1]!);
  const unknown = fields.find((field) => !(UNITS as readonly string[]).includes(field));
  if (unknown !== undefined) throw new Error(`the prefix ${JSON.stringify(template)} has the field {${unknown}}: a dated prefix takes {yyyy}, {mm}, {dd} and {hh}`);
  if (template.replace(/\{(?:yyyy|mm|dd|hh)\}/g, '').match(/[{}]/)) throw new Error(`the prefix ${JSON.stringify(template)} has a { or } that is not part of {yyyy}, {mm}, {dd} or {hh}`);
  if (fields.some((field, index) => field !== UNITS[index])) {
    throw new Error(`the prefix ${JSON.stringify(template)} must give the date fields from {yyyy} down, each once: {yyyy}, then {mm}, {dd}, {hh}`);
  }
  return { template, unit: fields.at(-1) as Unit | undefined };
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** The folder `prefix` names at `date` (UTC); a plain prefix as it is. */
export function folderAt(prefix: DatedPrefix, date: Date): string {
  const values: Record<Unit, string> = {
    yyyy: pad(date.getUTCFullYear(), 4),
    mm: pad(date.getUTCMonth() + 1),
    dd: pad(date.getUTCDate()),
    hh: pad(date.getUTCHours()),
  };
  return prefix.template.replace(/\{(yyyy|mm|dd|hh)\}/g, (_, unit: Unit) => values[unit]);
}

/** The start of the folder `date` falls in. */
function folderStart(unit: Unit, date: Date): number {
  const y = date.getUTCFullYear();
  const m = unit === 'yyyy' ? 0 : date.getUTCMonth();
  const d = unit === 'yyyy' || unit === 'mm' ? 1 : date.getUTCDate();
  const h = unit === 'hh' ? date.getUTCHours() : 0;
  return Date.UTC(y, m, d, h);
}

function nextFolder(unit: Unit, start: number): number {
  const date = new Date(start);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const h = date.getUTCHours();
  return unit === 'yyyy' ? Date.UTC(y + 1, 0, 1) : unit === 'mm' ? Date.UTC(y, m + 1, 1) : unit === 'dd' ? Date.UTC(y, m, d + 1) : Date.UTC(y, m, d, h + 1);
}

/** Every folder a time from `from` to `to` falls in, in key order; the plain prefix alone for a plain prefix. */
export function foldersBetween(prefix: DatedPrefix, from: Date, to: Date): string[] {
  if (prefix.unit === undefined) return [prefix.template];
  const folders: string[] = [];
  for (let start = folderStart(prefix.unit, from); start <= to.getTime(); start = nextFolder(prefix.unit, start)) {
    if (folders.length === MAX_FOLDERS) throw new Error(`the window ${from.toISOString()} to ${to.toISOString()} touches more than ${MAX_FOLDERS} folders of ${prefix.template}`);
    folders.push(folderAt(prefix, new Date(start)));
  }
  return folders;
}

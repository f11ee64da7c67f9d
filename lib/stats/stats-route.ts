import { CallbackError } from '../errors.js';
import { jsonResponse, type CallbackRequest, type CallbackResponse } from '../exchange.js';
import type { UploadStore } from '../store/port.js';
import { periodStart } from './periods.js';
import { uploadStats } from './upload-stats.js';

/** The records page's windows: the current hour and the hours before it, to a day or a week. */
const STATS_WINDOWS = { day: 24, week: 24 * 7 } as const;
type StatsWindow = keyof typeof STATS_WINDOWS;

/**
 * `GET /stats?window=day|week`: uploads per hour by source over the window, and its coverage, as
 * `uploadStats` gives them (the records page draws its chart from this). Throws a CallbackError for
 * a request it cannot answer.
 */
export async function statsAnswer(store: UploadStore, request: CallbackRequest, now = new Date()): Promise<CallbackResponse> {
  if (request.method !== 'GET') throw new CallbackError('MethodNotAllowed', `count uploads with GET; ${request.method} is not allowed`);
  const window = new URLSearchParams(request.rawQuery ?? '').get('window') ?? 'day';
  if (!Object.hasOwn(STATS_WINDOWS, window)) throw new CallbackError('MalformedRequest', `the window must be ${Object.keys(STATS_WINDOWS).join(' or ')}`);
  const hours = STATS_WINDOWS[window as StatsWindow];
  const since = new Date(periodStart(now, 'hour').getTime() - (hours - 1) * 3_600_000);
  return jsonResponse(200, { window, ...(await uploadStats(store, { since, until: now, by: 'hour' })) });
}

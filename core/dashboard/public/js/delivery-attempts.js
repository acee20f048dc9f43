// A delivery's attempts as the person reads them: the last one's outcome (HTTP status, or why there
// was none) and the table of every attempt. The handle's notifications panel and the partner
// portal's postbacks page show webhook deliveries alike (the same engine sends both).

import { api, query } from './api.js';
import { h, fmt } from './dom.js';

const MAX_LIMIT = 500; // the API's largest page

/**
 * The newest `count` deliveries of a list route (at least one), following nextCursor across pages
 * from `after` (none: the newest); returns the first page's summary and the cursor after the last
 * delivery fetched. A page that asks for N refetches N from the newest on each refresh, so new
 * deliveries never open a gap between what was shown and what "more" loads.
 */
export async function fetchNewest(path, count, params = {}, after = undefined) {
  const data = [];
  let cursor = after;
  let summary;
  do {
    const res = await api(`${path}${query({ ...params, limit: Math.min(Math.max(count - data.length, 1), MAX_LIMIT), cursor })}`);
    summary ??= res.summary;
    data.push(...res.data);
    cursor = res.nextCursor ?? undefined;
  } while (cursor && data.length < count);
  return { data, summary, nextCursor: cursor ?? null };
}

/** The panel's summary as a list, whether the server keys it by webhook (or postback) id or sends rows. */
export function summaryRows(summary) {
  if (Array.isArray(summary)) return summary;
  return Object.entries(summary ?? {}).map(([webhookId, counts]) => ({ webhookId, ...counts }));
}

/** One endpoint's delivery counts from that summary: succeeded, failed and, when any, in flight. */
export const deliveryCounts = (s) => [
  h('span.count-good', { dataset: { count: 'succeeded' } }, h('b', {}, fmt.int(s.succeeded ?? 0)), ' succeeded'),
  h('span.count-bad', { dataset: { count: 'failed' } }, h('b', {}, fmt.int(s.failed ?? 0)), ' failed'),
  s.retrying || s.pending ? h('span.muted', { dataset: { count: 'open' } }, `${fmt.int((s.retrying ?? 0) + (s.pending ?? 0))} in flight`) : null,
];

export const attemptTime = (a) => a.at ?? a.attemptedAt ?? a.createdAt ?? a.startedAt;

export function attemptOutcome(a) {
  const code = a.statusCode ?? a.status;
  const ok = typeof code === 'number' && code >= 200 && code < 300;
  // No status: the attempt's error says why (dns, timeout, connection refused, an address not allowed).
  return h(`span.${ok ? 'count-good' : 'count-bad'}`, {}, code ? `HTTP ${code}` : a.error ? `no response (${a.error})` : 'no response');
}

export function attemptsTable(attempts) {
  if (!attempts.length) return h('p.muted.small', {}, 'Not attempted yet.');
  return h('table.table.attempts', {},
    h('thead', {}, h('tr', {}, ['#', 'Time', 'Status code', 'Latency', 'Error / response'].map((t) => h('th', {}, t)))),
    h('tbody', {}, attempts.map((a, i) => h('tr', {},
      h('td', {}, String(a.attempt ?? i + 1)),
      h('td', {}, fmt.utcTime(attemptTime(a))),
      h('td', {}, attemptOutcome(a)),
      h('td.num', {}, typeof (a.latencyMs ?? a.latency) === 'number' ? `${fmt.int(a.latencyMs ?? a.latency)} ms` : '—'),
      h('td', {}, a.error ? h('div.error-text', {}, a.error) : null, a.responseSnippet ? h('div.muted.small.mono.truncate', { title: a.responseSnippet }, a.responseSnippet) : null)))));
}

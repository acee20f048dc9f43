// The queries the analytics bench measures, each with the server call that rows touched are read from.
import { GROUP_BY } from '../../core/analytics/group-by.ts';
import type { CampaignSet, Window } from '../../core/analytics/range.ts';
import type { Probe } from './analytics-plan.ts';

const DAY = 86_400_000;

export interface Query {
  name: string;
  /** Path and query after /v2/handles/{h}. */
  path: string;
  realm?: boolean;
  probe: Probe;
  campaigns: CampaignSet;
  window: Window;
}

/** The measured queries: every breakdown over a 7-day hour-precise window whose first 12 hours are an old edge (raw rows). */
export function queries(now: number): Query[] {
  const from = new Date(Math.floor(now / DAY) * DAY - 7 * DAY + 12 * 3_600_000);
  const w7: Window = { from };
  const day = new Date(Math.floor((now - DAY) / 3_600_000) * 3_600_000);
  // A window from half past an hour: its first half hour is read from raw rows (from/to are exact instants).
  const halfPast = new Date(day.getTime() + 1_800_000);
  const f = `from=${from.toISOString()}`;
  const all = { includeArchived: false };
  const p01 = { partnerId: 'p01', includeArchived: false };
  const q: Query[] = [
    { name: 'funnel, all time', path: '/analytics?funnel=true', probe: { kind: 'funnel' }, campaigns: all, window: {} },
    { name: 'funnel, 7 days', path: `/analytics?funnel=true&${f}`, probe: { kind: 'funnel' }, campaigns: all, window: w7 },
    { name: 'funnel, partnerId=p01, 7 days', path: `/analytics?funnel=true&partnerId=p01&${f}`, probe: { kind: 'funnel' }, campaigns: p01, window: w7 },
    { name: 'groupBy=country, all time', path: '/analytics?groupBy=country', probe: { kind: 'groupBy', by: 'country' }, campaigns: all, window: {} },
    { name: 'groupBy=country, last 24 hours', path: `/analytics?groupBy=country&from=${day.toISOString()}`, probe: { kind: 'groupBy', by: 'country' }, campaigns: all, window: { from: day } },
  ];
  q.push(
    { name: 'funnel, last 24 hours from half past', path: `/analytics?funnel=true&from=${halfPast.toISOString()}`, probe: { kind: 'funnel' }, campaigns: all, window: { from: halfPast } },
    { name: 'groupBy=country, last 24 hours from half past', path: `/analytics?groupBy=country&from=${halfPast.toISOString()}`, probe: { kind: 'groupBy', by: 'country' }, campaigns: all, window: { from: halfPast } },
  );
  for (const by of GROUP_BY) q.push({ name: `groupBy=${by}, 7 days`, path: `/analytics?groupBy=${by}&${f}`, probe: { kind: 'groupBy', by }, campaigns: all, window: w7 });
  q.push(
    { name: 'groupBy=country, partnerId=p01, last 24 hours', path: `/analytics?groupBy=country&partnerId=p01&from=${day.toISOString()}`, probe: { kind: 'groupBy', by: 'country' }, campaigns: p01, window: { from: day } },
    { name: 'groupBy=country, partnerId=p01, 7 days', path: `/analytics?groupBy=country&partnerId=p01&${f}`, probe: { kind: 'groupBy', by: 'country' }, campaigns: p01, window: w7 },
    { name: 'partner realm funnel, 7 days', path: `/partner/analytics?funnel=true&${f}`, realm: true, probe: { kind: 'funnel' }, campaigns: p01, window: w7 },
    { name: 'partner realm groupBy=browser, 7 days', path: `/partner/analytics?groupBy=browser&${f}`, realm: true, probe: { kind: 'groupBy', by: 'browser' }, campaigns: p01, window: w7 },
  );
  return q;
}

// Breakdowns by sub-ID: no rollup keeps sub-IDs (five free-form columns would multiply every rollup
// row), so these read the raw clicks and conversions of a known set of campaigns, through their
// (handle, campaign_id, time) indexes. That is why they need a campaign filter.
import type { Pool } from 'pg';
import { Params } from '../db/params.ts';
import { statementName } from './funnel.ts';
import { mergeGroupRows, type GroupRow } from './group-by.ts';
import type { Window } from './range.ts';

export const SUB_ID_GROUP_BY = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type SubIdGroupBy = (typeof SUB_ID_GROUP_BY)[number];

export const isSubIdGroupBy = (by: string): by is SubIdGroupBy => (SUB_ID_GROUP_BY as readonly string[]).includes(by);

/** Clicks and conversions without that sub-ID are grouped under this key. */
export const NO_SUB_ID_KEY = '';

export interface SubIdGroupQuery {
  handle: string;
  /** Explicit ids only (one campaign, or a partner's campaigns): never "every campaign of the handle". */
  campaignIds: string[];
  window: Window;
}

// The column name comes from this map, never from the request.
const COLUMN: Record<SubIdGroupBy, string> = { sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5' };

function statements(by: SubIdGroupBy, q: SubIdGroupQuery) {
  const key = `coalesce(${COLUMN[by]}, '${NO_SUB_ID_KEY}')`;
  const cp = new Params();
  let clicks = `handle = ${cp.add(q.handle)} and campaign_id = any(${cp.add(q.campaignIds)}::text[])`;
  if (q.window.from) clicks += ` and occurred_at >= ${cp.add(q.window.from)}`;
  if (q.window.to) clicks += ` and occurred_at < ${cp.add(q.window.to)}`;
  // Conversions count by the time they were recorded, as in every other view (schemas.ts WINDOW_NOTE).
  const vp = new Params();
  const handle = vp.add(q.handle);
  let convs = `handle = ${handle} and campaign_id = any(${vp.add(q.campaignIds)}::text[])`;
  if (q.window.from) convs += ` and created_at >= ${vp.add(q.window.from)}`;
  if (q.window.to) convs += ` and created_at < ${vp.add(q.window.to)}`;
  const rc = `(select reporting_currency from tenants where handle = ${handle})`;
  return [
    { text: `select ${key} as key, count(*) as clicks, count(*) filter (where not is_bot) as qualified from clicks where ${clicks} group by 1`, values: cp.values },
    {
      text: `select ${key} as key, currency, count(*) as conversions, coalesce(sum(value), 0) as value, currency = ${rc} as reporting
               from conversions where ${convs} group by 1, 2`,
      values: vp.values,
    },
  ];
}

/** The same rows as computeGroupBy, keyed by the sub-ID's value; by clicks descending. */
export async function computeSubIdGroupBy(pg: Pool, by: SubIdGroupBy, q: SubIdGroupQuery): Promise<GroupRow[]> {
  if (q.campaignIds.length === 0) return [];
  const [clickSql, convSql] = statements(by, q);
  const [clicks, convs] = await Promise.all([clickSql, convSql].map((s) => pg.query({ ...s, name: statementName(s.text) })));
  return mergeGroupRows(clicks.rows, convs.rows).sort((a, b) => b.clicks - a.clicks || a.key.localeCompare(b.key));
}

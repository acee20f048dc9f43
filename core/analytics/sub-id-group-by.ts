// Breakdowns by sub-ID: no rollup keeps sub-IDs (five free-form columns would multiply every rollup
// row), so these read the raw clicks and conversions of a known set of campaigns, through their
// (handle, campaign_id, time) indexes. That is why they need a campaign filter.
import type { Pool } from 'pg';
import { Params } from '../db/params.ts';
import { queryAll, statementName } from './funnel.ts';
import { mergeGroupRows, type GroupRow } from './group-by.ts';
import { RAW_CONVERSION_CURRENCY, type CampaignSpan, type Window } from './range.ts';

export const SUB_ID_GROUP_BY = ['sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;
export type SubIdGroupBy = (typeof SUB_ID_GROUP_BY)[number];

export const isSubIdGroupBy = (by: string): by is SubIdGroupBy => (SUB_ID_GROUP_BY as readonly string[]).includes(by);

/** Clicks and conversions without that sub-ID are grouped under this key. */
export const NO_SUB_ID_KEY = '';

export interface SubIdGroupQuery {
  handle: string;
  /** Explicit ids only (one campaign, or a partner's campaigns): never "every campaign of the handle". */
  campaignIds: string[];
  /** Campaigns counted only over these times (a partner's on campaigns that changed partner). */
  spans?: CampaignSpan[];
  window: Window;
}

/** Which rows: the whole campaigns, and the spans' campaigns between their bounds (`time`: the rows' time column). */
function selection(q: SubIdGroupQuery, time: string, p: Params): string {
  const handle = p.add(q.handle);
  const parts = [`campaign_id = any(${p.add(q.campaignIds)}::text[])`];
  for (const s of q.spans ?? []) {
    parts.push(`(campaign_id = ${p.add(s.campaignId)}` + (s.from ? ` and ${time} >= ${p.add(s.from)}` : '') + (s.to ? ` and ${time} < ${p.add(s.to)}` : '') + ')');
  }
  let where = `handle = ${handle} and (${parts.join(' or ')})`;
  if (q.window.from) where += ` and ${time} >= ${p.add(q.window.from)}`;
  if (q.window.to) where += ` and ${time} < ${p.add(q.window.to)}`;
  return where;
}

// The column name comes from this map, never from the request.
const COLUMN: Record<SubIdGroupBy, string> = { sub1: 'sub1', sub2: 'sub2', sub3: 'sub3', sub4: 'sub4', sub5: 'sub5' };

function statements(by: SubIdGroupBy, q: SubIdGroupQuery) {
  const key = `coalesce(${COLUMN[by]}, '${NO_SUB_ID_KEY}')`;
  const cp = new Params();
  const clicks = selection(q, 'occurred_at', cp);
  // Conversions count by the time they were recorded, as in every other view (schemas.ts WINDOW_NOTE).
  const vp = new Params();
  const convs = selection(q, 'created_at', vp);
  const rc = `(select reporting_currency from tenants where handle = ${vp.add(q.handle)})`;
  return [
    { text: `select ${key} as key, count(*) as clicks, count(*) filter (where not is_bot) as qualified from clicks where ${clicks} group by 1`, values: cp.values },
    {
      // A conversion without a value counts in the reporting currency, as in the rollups.
      text: `select ${key} as key, ${RAW_CONVERSION_CURRENCY} as currency, count(*) as conversions, coalesce(sum(value), 0) as value,
                    ${RAW_CONVERSION_CURRENCY} = ${rc} as reporting
               from conversions where ${convs} group by 1, 2`,
      values: vp.values,
    },
  ];
}

/** The same rows as computeGroupBy, keyed by the sub-ID's value; by clicks descending. */
export async function computeSubIdGroupBy(pg: Pool, by: SubIdGroupBy, q: SubIdGroupQuery): Promise<GroupRow[]> {
  if (q.campaignIds.length === 0 && !q.spans?.length) return [];
  const [clickSql, convSql] = statements(by, q);
  const [clicks, convs] = await queryAll(pg, [clickSql, convSql].map((s) => ({ ...s, ...(!q.spans?.length && { name: statementName(s.text) }) })));
  return mergeGroupRows(clicks.rows, convs.rows).sort((a, b) => b.clicks - a.clicks || a.key.localeCompare(b.key));
}

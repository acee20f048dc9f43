// Rows touched by an analytics query: the server's own query builders run against a pool that
// EXPLAIN ANALYZEs every statement they send, summing the rows each table or index scan returned.
import type pg from 'pg';
import { sumFunnel } from '../../core/analytics/funnel.ts';
import { computeGroupBy, type GroupBy } from '../../core/analytics/group-by.ts';
import type { CampaignSet, Window } from '../../core/analytics/range.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

// Scans that read a table's rows (a bitmap index scan's rows are read again by its heap scan).
const SCANS = new Set(['Seq Scan', 'Index Scan', 'Index Only Scan', 'Bitmap Heap Scan']);

function scanned(node: PlanNode, into: Map<string, number>) {
  if (SCANS.has(node['Node Type']) && node['Relation Name']) {
    const rel = node['Relation Name'];
    into.set(rel, (into.get(rel) ?? 0) + node['Actual Rows'] * node['Actual Loops']);
  }
  for (const child of node.Plans ?? []) scanned(child, into);
}

/** A stand-in pool whose query() explains and runs each statement, adding its scanned rows by table. */
function explainingPool(db: pg.ClientBase, into: Map<string, number>) {
  return {
    async query(q: { text: string; values?: unknown[] }) {
      const plan = await db.query({ text: `explain (analyze, format json) ${q.text}`, values: q.values });
      scanned(plan.rows[0]['QUERY PLAN'][0].Plan, into);
      return db.query({ text: q.text, values: q.values });
    },
  } as unknown as pg.Pool;
}

export type Probe = { kind: 'funnel' } | { kind: 'groupBy'; by: GroupBy };

/** Rows the server's statements scan for one query (by table, and in all). */
export async function rowsTouched(db: pg.ClientBase, handle: string, probe: Probe, campaigns: CampaignSet, window: Window) {
  const byTable = new Map<string, number>();
  const pool = explainingPool(db, byTable);
  if (probe.kind === 'funnel') await sumFunnel(pool, handle, campaigns, window);
  else await computeGroupBy(pool, probe.by, { handle, campaigns, window });
  const tables = Object.fromEntries([...byTable].sort(([a], [b]) => a.localeCompare(b)));
  return { total: [...byTable.values()].reduce((a, b) => a + b, 0), tables };
}

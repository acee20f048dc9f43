/**
 * Statement-level triggers that keep a derived analytics table in step with a rollup table: each
 * INSERT/UPDATE/DELETE statement on `source` hands its changed rows, as signed deltas (old rows
 * negated), to `apply`, which returns the SQL (ending in `;`) that folds them into the derived table.
 */
export function deltaTriggers(o: {
  name: string;
  source: string;
  columns: string[];
  sums: string[];
  apply(delta: string): string;
}): string[] {
  const plain = [...o.columns, ...o.sums].join(', ');
  const negated = [...o.columns, ...o.sums.map((c) => `-${c} as ${c}`)].join(', ');
  const ops = {
    insert: { delta: `select ${plain} from new_rows`, referencing: 'referencing new table as new_rows' },
    update: {
      delta: `select ${plain} from new_rows union all select ${negated} from old_rows`,
      referencing: 'referencing old table as old_rows new table as new_rows',
    },
    delete: { delta: `select ${negated} from old_rows`, referencing: 'referencing old table as old_rows' },
  };
  return Object.entries(ops).flatMap(([op, { delta, referencing }]) => {
    const fn = `${o.name}_on_${op}`;
    return [
      `create function ${fn}() returns trigger language plpgsql as $fn$
       begin
         ${o.apply(delta)}
         return null;
       end $fn$`,
      `create trigger ${fn} after ${op} on ${o.source} ${referencing} for each statement execute function ${fn}()`,
    ];
  });
}

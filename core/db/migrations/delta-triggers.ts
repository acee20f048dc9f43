/**
 * Statement-level triggers that keep a derived analytics table in step with a rollup table: each
 * INSERT/UPDATE/DELETE statement on `source` hands its changed rows, as signed deltas (old rows
 * negated), to `apply`, which returns the SQL (ending in `;`) that folds them into the derived table.
 */
export function deltaTriggers(o: DeltaTriggerSpec): string[] {
  return deltaTriggerFunctions(o).flatMap(([op, fn, create]) => [
    create,
    `create trigger ${fn} after ${op} on ${o.source} ${REFERENCING[op]} for each statement execute function ${fn}()`,
  ]);
}

export interface DeltaTriggerSpec {
  name: string;
  source: string;
  columns: string[];
  sums: string[];
  apply(delta: string): string;
}

const REFERENCING: Record<string, string> = {
  insert: 'referencing new table as new_rows',
  update: 'referencing old table as old_rows new table as new_rows',
  delete: 'referencing old table as old_rows',
};

/**
 * The trigger functions alone, as `create or replace`: a later migration that adds a sum column
 * replaces the functions of triggers that already exist.
 */
export function deltaTriggerFunctions(o: DeltaTriggerSpec): [op: string, fn: string, sql: string][] {
  const plain = [...o.columns, ...o.sums].join(', ');
  const negated = [...o.columns, ...o.sums.map((c) => `-${c} as ${c}`)].join(', ');
  const deltas: Record<string, string> = {
    insert: `select ${plain} from new_rows`,
    update: `select ${plain} from new_rows union all select ${negated} from old_rows`,
    delete: `select ${negated} from old_rows`,
  };
  return Object.entries(deltas).map(([op, delta]) => {
    const fn = `${o.name}_on_${op}`;
    return [op, fn, `create or replace function ${fn}() returns trigger language plpgsql as $fn$
       begin
         ${o.apply(delta)}
         return null;
       end $fn$`];
  });
}

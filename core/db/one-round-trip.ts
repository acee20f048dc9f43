import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { escapeLiteral } from './escape-literal.ts';
import { onPooledClient } from './transaction.ts';

/** A statement prepared once per connection (SQL PREPARE) under `name`, whose parameters all carry casts. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** A prepared statement and its values, run before the main one in the same message (a lock statement planned once). */
export interface PreparedCall {
  statement: PreparedStatement;
  values: readonly unknown[];
}

/**
 * A prelude step that makes the message's prepared statements run on their generic plans. A batch statement's plan does
 * not depend on its values (probes by key, inserts), but the plan cache compares the generic plan, costed for ten rows of
 * each `unnest`, with custom plans costed for the batch's real length: batches of a few rows (a quiet hour, a merchant's
 * retries) were planned anew every time, the claim ~3.8 ms a plan (docs/performance.md).
 */
export const FORCE_GENERIC_PLAN = 'set local plan_cache_mode = force_generic_plan';

const preparedOn = new WeakMap<PoolClient, Set<string>>();
/** 26000: `execute` of a name this session has not prepared. */
const INVALID_SQL_STATEMENT_NAME = '26000';
/** 42P05: `prepare` of a name the session already holds. */
const DUPLICATE_PREPARED_STATEMENT = '42P05';

async function prepareOnce(client: PoolClient, statement: PreparedStatement): Promise<void> {
  let names = preparedOn.get(client);
  if (names?.has(statement.name)) return;
  const prepare = `prepare ${statement.name} as ${statement.text}`;
  try {
    await client.query(prepare);
  } catch (err) {
    // A session this connection did not start (a pooler that hands sessions on without resetting them) may hold the name,
    // perhaps for another version's text: replaced, not trusted.
    if ((err as { code?: string }).code !== DUPLICATE_PREPARED_STATEMENT) throw err;
    await client.query(`deallocate ${statement.name}`);
    await client.query(prepare);
  }
  if (!names) preparedOn.set(client, (names = new Set()));
  names.add(statement.name);
}

/** `execute name(literals…)`: each value the escaped literal of its text form, which the statement's own casts type; null as NULL. */
function executeText(statement: PreparedStatement, values: readonly unknown[]): string {
  const args = values.map((v) => (v === null || v === undefined ? 'NULL' : escapeLiteral(String(v)))).join(', ');
  return `execute ${statement.name}(${args})`;
}

/** A prelude step: SQL with its values inlined ('' for none), or a PreparedCall (a statement in every such message is otherwise parsed and planned in each). */
type Step = string | PreparedCall;

/**
 * Runs `prelude` (a step or several, in order) and then the prepared `statement` with `values`, in one
 * transaction sent as one message: `begin; prelude; execute name(literals…); commit`. pg sends a query only after the
 * one before it has answered, so `begin`, a lock statement, the statement and `commit` sent one by one are four round
 * trips, each waiting for the other side's event loop (bench: ~25 % more conversions a second with one). Each value is
 * passed as an escaped literal (escapeLiteral of its text form) that the statement's own casts type; null as NULL.
 * A failure anywhere leaves the rest unrun and the transaction rolled back; one because the session lost a prepared
 * statement (DISCARD ALL) is sent again once, prepared anew. Note: statement_timestamp() is then the
 * message's arrival for every statement of it (use clock_timestamp() for a time after the prelude's locks); and a failed
 * message is logged by PostgreSQL (log_min_error_statement) with its values, which a parameter's `$n` never showed.
 */
export async function transactionInOneRoundTrip<R extends QueryResultRow>(
  pool: Pick<Pool, 'connect'>, prelude: Step | readonly Step[], statement: PreparedStatement, values: readonly unknown[],
): Promise<QueryResult<R>> {
  const steps: readonly Step[] = Array.isArray(prelude) ? prelude : [prelude as Step];
  return onPooledClient(pool, async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sendMessage<R>(client, steps, statement, values);
      } catch (err) {
        if ((err as { code?: string }).code !== INVALID_SQL_STATEMENT_NAME) throw err; // onPooledClient rolls back
        // Deallocated behind our back (DISCARD ALL, a pooler in transaction mode). Which of the message's names is gone is
        // not said: all are prepared again (a name still there is replaced). Nothing of the message took effect (its
        // transaction aborted at that execute), so it is sent once more; a second failure is the caller's.
        preparedOn.delete(client);
        if (attempt > 1) throw err;
        await client.query('rollback');
      }
    }
  });
}

async function sendMessage<R extends QueryResultRow>(
  client: PoolClient, steps: readonly Step[], statement: PreparedStatement, values: readonly unknown[],
): Promise<QueryResult<R>> {
  for (const step of steps) if (typeof step !== 'string') await prepareOnce(client, step.statement);
  await prepareOnce(client, statement);
  const first = steps.map((step) => (typeof step === 'string' ? step : executeText(step.statement, step.values)));
  // Each `;` on a line of its own: a prelude ending in a `--` comment must not swallow the rest.
  const text = ['begin', ...first, executeText(statement, values), 'commit'].filter(Boolean).join('\n;\n');
  const results = (await client.query(text)) as unknown as QueryResult<R>[];
  if (results.at(-1)?.command !== 'COMMIT') throw new Error(`${statement.name}: the transaction's message did not end in its commit`);
  return results[results.length - 2];
}

/**
 * Where a batch statement runs. `pool`: PostgreSQL's, for its one-message transactions; absent on embedded PGlite, whose
 * statements go through `db` (a module's own way to PGlite: the conversions run one statement at a time there).
 */
export interface BatchTarget {
  db: Pick<Pool, 'query'>;
  pool?: Pick<Pool, 'connect'>;
}

/**
 * A batch statement on its generic plan, in a transaction of its own. On PostgreSQL: one message, FORCE_GENERIC_PLAN and
 * `prelude` (lock statements) first (transactionInOneRoundTrip: `values` in their text forms, arrays as core/db/pg-array.ts
 * builds them). On embedded PGlite, which forces generic plans for its one session (core/db/embedded.ts) and has one
 * process to serve, so no other process's batch to lock out: the statement alone, named, with the same values, as its
 * own implicit transaction.
 */
export function onGenericPlan<R extends QueryResultRow>(
  target: BatchTarget, statement: PreparedStatement, values: readonly unknown[], prelude: readonly Step[] = [],
): Promise<QueryResult<R>> {
  if (!target.pool) return target.db.query<R>({ name: statement.name, text: statement.text, values: [...values] });
  return transactionInOneRoundTrip<R>(target.pool, [FORCE_GENERIC_PLAN, ...prelude], statement, values);
}

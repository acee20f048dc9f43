// The deliveries table as the delivery engine uses it: every statement is one round trip.
import type { Pool, PoolClient } from 'pg';
import { onGenericPlan, type BatchTarget, type PreparedStatement } from '../db/one-round-trip.ts';
import { boolArray, plainArray, textArray, unnested } from '../db/pg-array.ts';

type Queryable = Pool | PoolClient;

/**
 * A delivery that should be attempted at `dueAt` (epoch ms); `cycle` counts redeliveries. Its
 * handle and webhook decide whose share of the send slots it uses (fair-share.ts).
 */
export interface Due {
  deliveryId: string;
  cycle: number;
  dueAt: number;
  handle: string;
  webhookId: string;
}

export interface NewDelivery {
  deliveryId: string;
  webhookId: string;
  handle: string;
  eventId: string;
  eventType: string;
  body: string;
  eventCreatedAt: Date;
  /** A postback's URL expanded for this event (null: the webhook's endpoint). */
  url?: string | null;
}

/** What a claimed delivery needs for one send. */
export interface Claimed {
  deliveryId: string;
  /** For the operator's log line when the delivery fails for good. */
  webhookId: string;
  handle: string;
  eventType: string;
  body: string;
  attemptsInCycle: number;
  endpointUrl: string;
  channel: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  /** The webhook opted into the hourly retry tail. */
  retryTail: boolean;
  /** A postback's HTTP method (GET or POST); null for a webhook, which its channel sends. */
  method: 'GET' | 'POST' | null;
}

export type FinalStatus = 'succeeded' | 'retrying' | 'failed';

export interface AttemptRecord {
  deliveryId: string;
  status: FinalStatus;
  retryInMs: number;
  /** One of the delivery's tries (attempts_in_cycle); an attempt the server's own stop cut off is not. */
  counts: boolean;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseSnippet: string | null;
}

const OPEN = `status in ('pending', 'retrying')`;
// The same set, written so the planner cannot match the deliveries_open partial index: statements
// given delivery ids must look them up by primary key, not scan the whole backlog through that index.
const NOT_FINISHED = `status not in ('succeeded', 'failed')`;
type DueRow = { delivery_id: string; cycle: number; due_at: Date; handle: string; webhook_id: string };
const toDue = (r: DueRow): Due => ({ deliveryId: r.delivery_id, cycle: r.cycle, dueAt: r.due_at.getTime(), handle: r.handle, webhookId: r.webhook_id });

/** Inserts new deliveries (a repeat of webhook × event is ignored); returns those created, due now. */
export async function insertDeliveries(db: Queryable, rows: NewDelivery[]): Promise<Due[]> {
  if (rows.length === 0) return [];
  const col = <K extends keyof NewDelivery>(k: K) => rows.map((r) => r[k]);
  const { rows: created } = await db.query(
    `insert into deliveries (delivery_id, webhook_id, handle, event_id, event_type, body, event_created_at, url, next_attempt_at)
     select d, w, h, e, t, b, c, u, now()
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::text[]) as x(d, w, h, e, t, b, c, u)
     on conflict (webhook_id, event_id) do nothing
     returning delivery_id, cycle, next_attempt_at as due_at, handle, webhook_id`,
    [col('deliveryId'), col('webhookId'), col('handle'), col('eventId'), col('eventType'), col('body'), col('eventCreatedAt'), rows.map((r) => r.url ?? null)],
  );
  return created.map(toDue);
}

// The two statements of every attempt (a batch of the attempts starting, or finishing, in one tick: deliver.ts) run on
// their generic plans (onGenericPlan). Left to the plan cache, their batches of a few rows were planned in every call
// (~40 µs of PostgreSQL a delivery, about as much as they took to run; pg_stat_statements over the webhooks bench).
const CLAIM: PreparedStatement = {
  name: 'tenx_deliveries_claim',
  text: `update deliveries d set lease_until = now() + make_interval(secs => $2::double precision / 1000)
           from webhooks w
          where d.delivery_id = any($1::uuid[]) and w.webhook_id = d.webhook_id and d.${NOT_FINISHED}
            and d.next_attempt_at <= now() + interval '20 milliseconds'
            and (d.lease_until is null or d.lease_until < now())
         returning d.delivery_id as "deliveryId", d.webhook_id as "webhookId", d.handle, d.event_type as "eventType", d.body,
                   d.attempts_in_cycle as "attemptsInCycle", coalesce(d.url, w.endpoint_url) as "endpointUrl", w.channel, w.method,
                   w.secret_sealed as "secretSealed", w.retry_tail as "retryTail",
                   case when w.previous_secret_expires_at > now() then w.previous_secret_sealed end as "previousSecretSealed"`,
};

/**
 * Takes the send lease of each due delivery among `ids` (so no other process or job sends it
 * meanwhile) and returns what the sends need; a delivery that is not open, not due, or leased by
 * another sender is absent from the result.
 */
export async function claimDeliveries(target: BatchTarget, ids: string[], leaseMs: number): Promise<Map<string, Claimed>> {
  const { rows } = await onGenericPlan<Claimed>(target, CLAIM, [textArray(ids, (id) => id), leaseMs]);
  return new Map(rows.map((r) => [r.deliveryId, r]));
}

/** Why a delivery could not be claimed: finished or gone (null), or when it may be claimed next. */
export async function nextClaimAt(db: Queryable, deliveryId: string): Promise<Due | null> {
  const { rows } = await db.query(
    `select delivery_id, cycle, greatest(next_attempt_at, coalesce(lease_until, next_attempt_at)) as due_at, handle, webhook_id
       from deliveries where delivery_id = $1 and ${NOT_FINISHED}`,
    [deliveryId],
  );
  return rows[0] ? toDue(rows[0]) : null;
}

const RECORD: PreparedStatement = {
  name: 'tenx_deliveries_record',
  text: `with input as (
           ${unnested({
             delivery_id: '$1::uuid[]', status: '$2::text[]', retry_ms: '$3::float8[]', at: '$4::timestamptz[]', status_code: '$5::int[]',
             latency_ms: '$6::int[]', error: '$7::text[]', snippet: '$8::text[]', counts: '$9::bool[]',
           })}
         ), d as (
           update deliveries t
              set status = i.status, attempts_in_cycle = t.attempts_in_cycle + i.counts::int, attempt_count = t.attempt_count + 1,
                  next_attempt_at = case when i.status = 'retrying' then now() + make_interval(secs => i.retry_ms / 1000) end,
                  lease_until = null, updated_at = now(),
                  completed_at = case when i.status <> 'retrying' then now() end
             from input i
            where t.delivery_id = i.delivery_id and t.${NOT_FINISHED}
            returning t.delivery_id, t.attempt_count, i.at, i.status_code, i.latency_ms, i.error, i.snippet
         ), a as (
           insert into delivery_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms, error, response_snippet)
           select delivery_id, attempt_count, at, status_code, latency_ms, error, snippet from d
         )
         select delivery_id from d`,
};

const numberOrNull = (n: number | null) => (n === null ? null : String(n));

/**
 * Records attempts and moves each delivery on (releasing its lease), all in one statement. Returns
 * the ids recorded: a delivery that vanished meanwhile (its webhook was deleted) is not.
 */
export async function recordAttempts(target: BatchTarget, records: AttemptRecord[]): Promise<Set<string>> {
  const { rows } = await onGenericPlan<{ delivery_id: string }>(target, RECORD, [
    textArray(records, (r) => r.deliveryId), textArray(records, (r) => r.status), plainArray(records, (r) => String(r.retryInMs)),
    plainArray(records, (r) => r.at.toISOString()), plainArray(records, (r) => numberOrNull(r.statusCode)),
    plainArray(records, (r) => String(r.latencyMs)), textArray(records, (r) => r.error), textArray(records, (r) => r.responseSnippet),
    boolArray(records, (r) => r.counts),
  ]);
  return new Set(rows.map((r) => r.delivery_id));
}

/**
 * Open deliveries whose next attempt is due before `dueBefore`, in pages by id (`after`): the
 * recovery sweep that makes a delivery survive a crash or a lost queue job.
 */
export async function openDeliveries(db: Queryable, dueBefore: Date | 'infinity', after: string | null, limit: number): Promise<Due[]> {
  const { rows } = await db.query(
    `select delivery_id, cycle, greatest(next_attempt_at, coalesce(lease_until, next_attempt_at)) as due_at, handle, webhook_id
       from deliveries
      where ${OPEN} and next_attempt_at < $1::timestamptz and ($2::uuid is null or delivery_id > $2::uuid)
      order by delivery_id limit $3`,
    [dueBefore, after, limit],
  );
  return rows.map(toDue);
}

import type { PoolClient } from 'pg';
import { commissionCreatedAudit, commissionEventInsert } from './events.ts';
import { COMMISSION_COLUMNS } from './columns.ts';
import { cancelPayoutSql, payoutAmendedCtes } from './payout-rows.ts';
import { statusAuditInsert } from './status-audit.ts';

export interface ConversionReversal {
  handle: string;
  conversionId: string;
  /** The amount this reversal takes back, as decimal text (numeric). */
  amount: string;
  /** The conversion's value as decimal text, or null when it has none (then only a full reversal makes sense). */
  value: string | null;
  /** What earlier reversals of the conversion took back of its value, as decimal text. */
  reversedBefore: string;
  /** True when nothing of the conversion's value remains after this reversal. */
  full: boolean;
  /** refund | chargeback | fraud | other: recorded as the rows' reason. */
  reason: string;
  actor: string;
}

/** The conversion's rows, locked in id order (every writer of commission rows locks them so: no deadlock). */
const LOCK = `select c.commission_id, c.type, c.status, c.payout_id from commissions c
  where c.handle = $1 and c.conversion_id = $2 order by c.commission_id for update`;

/** The pending payouts holding the conversion's rows (an approved row with a payout is in a pending one). */
const PAYOUTS_OF = `select distinct payout_id from commissions
  where handle = $1 and conversion_id = $2 and payout_id is not null and status = 'approved' order by payout_id`;

/**
 * A full reversal of a commission nobody was paid yet (API.md: `pending|approved → reversed`): it and its open
 * adjustments and clawbacks become `reversed`. One in a pending payout leaves it, and that payout shrinks by what left
 * (amount and commissionCount stay the sum and count of its lines; `payout.amended`). A payout it would leave with
 * nothing a run would pay was canceled just before (cancelPayoutSql), so its lines are in no payout here.
 */
const MARK_REVERSED = `
with prev as (
  select commission_id, status as from_status, payout_id as from_payout from commissions where handle = $1 and commission_id = any($2::uuid[])
), moved as (
  update commissions c set status = 'reversed', reason = $3, payout_id = null, updated_at = statement_timestamp()
    from prev where c.handle = $1 and c.commission_id = prev.commission_id
  returning c.*, prev.from_status, prev.from_payout
), shrunk as (
  update payouts p set amount = p.amount - l.amount, commission_count = p.commission_count - l.n, updated_at = statement_timestamp()
    from (select from_payout, sum(amount) as amount, count(*)::int as n from moved where from_payout is not null group by 1) l
   where p.handle = $1 and p.payout_id = l.from_payout
  returning p.*, l.amount as left_amount, l.n as left_count
), ${payoutAmendedCtes('shrunk', '$4::text', `'commissionIds', (select jsonb_agg(m.commission_id order by m.commission_id) from moved m where m.from_payout = s.payout_id)`)}
, audit as (${statusAuditInsert('moved', '$4::text', `'reversal'`)}
), events as (${commissionEventInsert('moved', 'commission.updated')})
select ${COMMISSION_COLUMNS} from moved c`;

/** The minimum payout of payout `p`'s partner (API.md: a run pays at least it). */
const MINIMUM = 'coalesce((select m.minimum_payout from partners m where m.handle = $1 and m.partner_id = p.partner_id), 0)';

/** Whether pending payout $2 would pay nothing a run would pay once a negative line of $3 joins it. */
const EMPTIED_BY_JOIN = `select p.amount + $3::numeric <= 0 or p.amount + $3::numeric < ${MINIMUM} as empties
  from payouts p where p.handle = $1 and p.payout_id = $2 and p.status = 'pending'`;

/** A payout's lines, locked in id order (as a cancel locks them) before it is canceled. */
const LOCK_LINES = 'select 1 from commissions where handle = $1 and payout_id = any($2::uuid[]) order by commission_id for update';

/**
 * The pending payouts the rows `$2` leaving would leave with nothing a run would pay: no line, a sum not above 0,
 * or below the partner's minimum payout (API.md: a run pays at least it). They are canceled instead of shrunk.
 */
const EMPTIED = `
select l.payout_id from (
  select payout_id, sum(amount) as amount, count(*)::int as n from commissions
   where handle = $1 and commission_id = any($2::uuid[]) and payout_id is not null group by 1) l
  join payouts p on p.handle = $1 and p.payout_id = l.payout_id
 where p.commission_count = l.n or p.amount - l.amount <= 0
    -- The minimum only when the payout falls: a refund of a clawback's conversion raises it (a review).
    or l.amount > 0 and p.amount - l.amount < ${MINIMUM}`;

/** A reversal that could not hold its payouts' locks in order (a run kept moving its rows): PostgreSQL's "try again", a 503. */
const lockOrderLost = () => Object.assign(new Error('The payouts of the conversion kept changing; try the reversal again.'), { code: '40001' });

/**
 * Locks the payouts holding the conversion's rows, then the rows: a mark-paid or cancel locks its payout, then its
 * lines, so taking them in the other order could deadlock. A run that put a row in a new payout between the two
 * reads is seen once the rows are locked: their locks are given back (the savepoint) and taken again.
 */
async function lockRows(client: PoolClient, handle: string, conversionId: string) {
  for (let attempt = 1; ; attempt++) {
    await client.query('savepoint reversal_locks');
    const payoutIds = (await client.query<{ payout_id: string }>(PAYOUTS_OF, [handle, conversionId])).rows.map((r) => r.payout_id);
    if (payoutIds.length) await client.query('select 1 from payouts where handle = $1 and payout_id = any($2::uuid[]) order by payout_id for update', [handle, payoutIds]);
    const { rows } = await client.query(LOCK, [handle, conversionId]);
    const moved = rows.some((c) => c.status === 'approved' && c.payout_id !== null && !payoutIds.includes(c.payout_id));
    if (!moved) {
      await client.query('release savepoint reversal_locks');
      return rows;
    }
    await client.query('rollback to savepoint reversal_locks');
    // Locking a payout while holding its lines could deadlock with its mark-paid: give up (503) rather than try.
    if (attempt === 5) throw lockOrderLost();
  }
}

/**
 * Appends one negative row for a conversion: an `adjustment` that follows its commission (same status,
 * hold and automatic approval, and the pending payout it is in: $7, which then pays that much less, audited and
 * announced `payout.amended`) while that commission is unpaid, else a `clawback`, approved at once and
 * netted into the partner's next payout. $3 amount (negative), $4 type, $5 reason, $6 actor.
 */
const APPEND = `
with main as (
  select * from commissions where handle = $1 and conversion_id = $2 and type = 'conversion'
), added as (
  insert into commissions (commission_id, handle, partner_id, campaign_id, conversion_id, reward_id, type, event_type, quantity,
                           amount, currency, status, hold_until, reason, auto_approve, sub1, sub2, sub3, sub4, sub5, payout_id, created_at, updated_at)
  select gen_random_uuid(), handle, partner_id, campaign_id, conversion_id, reward_id, $4, event_type, 0, $3::numeric, currency,
         case when $4 = 'clawback' then 'approved' else status end,
         case when $4 = 'clawback' then now() else hold_until end,
         $5, auto_approve, sub1, sub2, sub3, sub4, sub5, $7::uuid, statement_timestamp(), statement_timestamp()
    from main
  returning *
), joined as (
  update payouts p set amount = p.amount + a.amount, commission_count = p.commission_count + 1, updated_at = statement_timestamp()
    from added a where p.handle = $1 and p.payout_id = $7::uuid
  returning p.*, -a.amount as left_amount, -1 as left_count, a.commission_id as joined_id
), ${payoutAmendedCtes('joined', '$6::text', `'joinedCommissionIds', jsonb_build_array(s.joined_id)`)}
, audit as (${commissionCreatedAudit('added', '$6::text', 'created_at')}
), events as (${commissionEventInsert('added', 'commission.created')})
select ${COMMISSION_COLUMNS} from added c`;

/**
 * The ledger's side of a conversion reversal (for the conversions module), in the caller's
 * transaction (which holds the conversion's lock for the over_reversal check). Amounts of existing rows
 * never change (a pending payout's total does, when a line leaves it):
 * - full, no row of the conversion paid → the commission and its open adjustments and clawbacks become `reversed`,
 *   leaving any pending payout they were in (MARK_REVERSED);
 * - full, a row paid → a clawback of whatever the conversion's rows still owe;
 * - partial → a negative adjustment (nothing paid yet: it follows its commission, into the pending payout it is in,
 *   which shrinks or, left with nothing a run would pay, is canceled) or clawback (paid): amount × (all reversed so far) / value, rounded half
 *   up to cents, less what earlier parts took; the full reversal that ends a series takes back the exact rest.
 * "Unpaid" is API.md's: a commission in a pending payout is approved, not paid (until 2026-12-06 it counted as paid
 * here, and got a clawback where the contract says adjustment, or `reversed`).
 * A rejected or already reversed commission, or none, is left alone. Returns the rows created or changed;
 * their commission.created / commission.updated events are in the outbox (call outbox.wake() after commit).
 */
export async function reverseConversionCommissions(client: PoolClient, r: ConversionReversal): Promise<Record<string, unknown>[]> {
  const rows = await lockRows(client, r.handle, r.conversionId);
  const main = rows.find((c) => c.type === 'conversion');
  if (!main || main.status === 'rejected' || main.status === 'reversed') return [];
  const settled = rows.some((c) => c.status === 'paid');
  const full = r.full || r.value === null || Number(r.value) === 0;

  if (full && !settled) {
    const ids = rows.filter((c) => c.status === 'pending' || c.status === 'approved').map((c) => c.commission_id);
    const emptied = (await client.query<{ payout_id: string }>(EMPTIED, [r.handle, ids])).rows.map((p) => p.payout_id);
    for (const payoutId of emptied) await cancelForReversal(client, r.handle, payoutId, r.conversionId, r.actor);
    const { rows: moved } = await client.query(MARK_REVERSED, [r.handle, ids, r.reason, r.actor]);
    return moved;
  }
  // What the rows of this conversion still owe the partner (full), or its share of this reversal (partial):
  // the commission × everything reversed so far with this one / value, rounded, less what the reversals
  // before took back. Rounding each part alone took back more than the commission (0.38 over three thirds
  // of the value: 0.13 × 3); cumulative, the parts always sum to the rounded whole.
  const owed = full
    ? `select -coalesce(sum(amount), 0) as delta from commissions
        where handle = $1 and conversion_id = $2 and status not in ('rejected', 'reversed')`
    : partShare('($5::numeric + $3::numeric)', '$4::numeric');
  return appendOwed(client, owed, full ? [r.handle, r.conversionId] : [r.handle, r.conversionId, r.amount, r.value, r.reversedBefore],
    [settled ? 'clawback' : 'adjustment', r.reason, r.actor], settled || main.status !== 'approved' ? null : main.payout_id);
}

/**
 * The negative row a conversion's commission still owes for the `reversed` part of its `value` (SQL
 * expressions) taken back so far: the commission × reversed / value, rounded half up to cents, less what its
 * adjustments and clawbacks took; $1 handle, $2 conversion.
 * The rounding is exact, in integer division (all three are ≥ 0, value > 0): cents = ⌊(200·amount·reversed + value)
 * / (2·value)⌋. numeric's `/` keeps only about 16 significant digits, so round(a × r / v, 2) rounded twice: a
 * share divided first (0.25 / 0.30 = 0.8333…) turned an exact half cent (0.03 × 0.25 / 0.30 = 0.025) into
 * 0.0249…, and a large quotient (123400000000.00 × 996758508914.05 / 999999999999.99 = 122999999999.99499…,
 * kept to 8 decimals: …99500000) was rounded up a cent.
 */
const partShare = (reversed: string, value: string) => `
  select least(0, -(round(div(m.amount * ${reversed} * 200 + ${value}, ${value} * 2) / 100, 2) + coalesce(t.taken, 0))) as delta
    from commissions m
   cross join lateral (
     select sum(amount) as taken from commissions
      where handle = $1 and conversion_id = $2 and type in ('adjustment', 'clawback') and status not in ('rejected', 'reversed')) t
   where m.handle = $1 and m.conversion_id = $2 and m.type = 'conversion'`;

/**
 * Cancels a pending payout a refund would leave with nothing a run would pay, as the cancel route does (its lines,
 * locked in id order first, back in the unpaid ledger; its amount and lines kept for its statement), the audit
 * event naming the refunded conversion.
 */
async function cancelForReversal(client: PoolClient, handle: string, payoutId: string, conversionId: string, actor: string) {
  await client.query(LOCK_LINES, [handle, [payoutId]]);
  await client.query(cancelPayoutSql('$3::text', 'true', `, 'via', 'reversal', 'conversionId', $4::text`), [handle, payoutId, actor, conversionId]);
}

/** Appends the `owed` query's delta (kept as text: money never passes through a JS number) unless it is 0. */
async function appendOwed(client: PoolClient, owed: string, values: unknown[], [type, reason, actor]: [string, string, string], into: string | null = null) {
  const { rows: [due] } = await client.query<{ delta: string; zero: boolean }>(`select delta::text as delta, delta = 0 as zero from (${owed}) d`, values);
  if (!due || due.zero) return [];
  const [handle, conversionId] = values as [string, string];
  let join = into;
  if (join) {
    // The commission's pending payout (locked by lockRows) nets the adjustment now, unless that leaves it nothing a run
    // would pay: then it is canceled as a cancel leaves one, and the adjustment waits for the next run with the rest.
    const { rows: [payout] } = await client.query<{ empties: boolean }>(EMPTIED_BY_JOIN, [handle, join, due.delta]);
    if (!payout) join = null;
    else if (payout.empties) {
      await cancelForReversal(client, handle, join, conversionId, actor);
      join = null;
    }
  }
  const { rows: added } = await client.query(APPEND, [handle, conversionId, due.delta, type, reason, actor, join]);
  return added;
}

/**
 * A rejected commission approved after part of its conversion was reversed: the reversals left it alone
 * (it earned nothing then), so its adjustment for what was taken back so far is appended now, following
 * the commission (approved). Reason: the latest reversal's.
 */
export async function catchUpReversals(client: PoolClient, handle: string, conversionId: string, actor: string): Promise<Record<string, unknown>[]> {
  const { rows: [conv] } = await client.query<{ reason: string | null; partial: boolean }>(
    `select (select reason from conversion_reversals r where r.handle = v.handle and r.conversion_id = v.conversion_id order by r.created_at desc limit 1) as reason,
            v.value > 0 and v.reversed_value > 0 and v.reversed_value < v.value as partial
       from conversions v where v.handle = $1 and v.conversion_id = $2`,
    [handle, conversionId],
  );
  if (!conv?.partial) return [];
  const of = (column: string) => `(select ${column} from conversions where handle = $1 and conversion_id = $2)`;
  return appendOwed(client, partShare(of('reversed_value'), of('value')), [handle, conversionId], ['adjustment', conv.reason ?? 'other', actor]);
}

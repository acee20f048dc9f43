import { randomUUID } from 'node:crypto';
import { conversionCommissionInsert, clickCommissionUpsert } from '../../core/commissions/index.ts';
import type { TestServer } from './server.ts';

// Until the conversion statement (core/conversions/record-sql.ts) and the click flusher embed the
// ledger's fragments, tests run the very same fragments over rows they describe here. Once wired,
// `earn` can become a POST /v2/public/conversions and the assertions stay.

export interface EarnInput {
  handle: string;
  campaignId: string;
  partnerId: string | null;
  eventType?: string;
  value?: number | string | null;
  currency?: string | null;
  conversionId?: string;
  createdAt?: Date;
  isBot?: boolean;
  /** Approves by itself once its hold passes (a conversion that counts, of a recorded click). */
  autoApprove?: boolean;
  partnerSuspended?: boolean;
  subs?: Array<string | null>;
}

/** Writes the conversion commissions of these conversions with conversionCommissionInsert; returns the rows inserted. */
export async function earn(server: TestServer, inputs: EarnInput[]) {
  const col = <T>(f: (i: EarnInput) => T) => inputs.map(f);
  const sub = (n: number) => col((i) => i.subs?.[n] ?? null);
  const { rows } = await server.sql.query(
    `with src as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::numeric[], $7::text[], $8::timestamptz[],
                            $9::boolean[], $10::boolean[], $11::boolean[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])
         as s(handle, campaign_id, partner_id, conversion_id, event_type, value, currency, created_at, is_bot, auto_approve,
              partner_suspended, sub1, sub2, sub3, sub4, sub5)
     ), ins as (${conversionCommissionInsert('src')})
     select commission_id as "commissionId", conversion_id as "conversionId", amount::text as amount, currency, status, reason,
            auto_approve as "autoApprove", reward_id as "rewardId", hold_until as "holdUntil", created_at as "createdAt" from ins`,
    [
      col((i) => i.handle), col((i) => i.campaignId), col((i) => i.partnerId), col((i) => i.conversionId ?? randomUUID()),
      col((i) => i.eventType ?? 'affiliate_click'), col((i) => (i.value === undefined || i.value === null ? null : String(i.value))),
      col((i) => (i.currency === undefined ? 'USD' : i.currency)), col((i) => i.createdAt ?? new Date()), col((i) => i.isBot ?? false),
      col((i) => i.autoApprove ?? true), col((i) => i.partnerSuspended ?? false), sub(0), sub(1), sub(2), sub(3), sub(4),
    ],
  );
  return rows as Array<{ commissionId: string; conversionId: string; amount: string; currency: string; status: string; reason: string | null; autoApprove: boolean; rewardId: string; holdUntil: Date; createdAt: Date }>;
}

export interface ClickInput {
  handle: string;
  campaignId: string;
  partnerId: string | null;
  occurredAt?: Date;
  isBot?: boolean;
  partnerSuspended?: boolean;
}

/** Accrues click commissions for these (inserted) clicks with clickCommissionUpsert. */
export async function accrueClicks(server: TestServer, clicks: ClickInput[]) {
  const col = <T>(f: (i: ClickInput) => T) => clicks.map(f);
  const { rows } = await server.sql.query(
    `with src as (
       select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[], $6::boolean[])
         as s(handle, campaign_id, partner_id, occurred_at, is_bot, partner_suspended)
     ), up as (${clickCommissionUpsert('src')})
     select commission_id as "commissionId", quantity, amount::text as amount, currency, status, day::text as day from up`,
    [col((c) => c.handle), col((c) => c.campaignId), col((c) => c.partnerId), col((c) => c.occurredAt ?? new Date()), col((c) => c.isBot ?? false), col((c) => c.partnerSuspended ?? false)],
  );
  return rows;
}

export interface LedgerRow {
  handle: string;
  partnerId: string;
  campaignId?: string;
  type?: 'click' | 'conversion' | 'adjustment' | 'clawback';
  amount: string;
  currency?: string;
  status?: string;
  holdUntil?: Date;
  autoApprove?: boolean;
  /** Default now. */
  createdAt?: Date;
}

/** Ledger rows written directly (payout tests need approved rows without a conversion pipeline). */
export async function ledgerRows(server: TestServer, rows: LedgerRow[]): Promise<string[]> {
  const ids = rows.map(() => randomUUID());
  const col = <T>(f: (r: LedgerRow) => T) => rows.map(f);
  await server.sql.query(
    `insert into commissions (commission_id, handle, partner_id, campaign_id, type, event_type, quantity, amount, currency, status, hold_until, auto_approve, day, created_at)
     select id, handle, partner_id, campaign_id, type, case type when 'click' then 'click' else 'sale' end, 1, amount, currency, status, hold_until, auto_approve,
            case when type = 'click' then (hold_until at time zone 'UTC')::date - 1 end, coalesce(created_at, now())
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::text[], $9::timestamptz[], $10::boolean[], $11::timestamptz[])
         as r(id, handle, partner_id, campaign_id, type, amount, currency, status, hold_until, auto_approve, created_at)`,
    [ids, col((r) => r.handle), col((r) => r.partnerId), col((r) => r.campaignId ?? 'partner-alpha'), col((r) => r.type ?? 'conversion'),
      col((r) => r.amount), col((r) => r.currency ?? 'USD'), col((r) => r.status ?? 'approved'),
      col((r) => r.holdUntil ?? new Date(Date.now() - 86_400_000)), col((r) => r.autoApprove ?? true), col((r) => r.createdAt ?? null)],
  );
  return ids;
}

/** A bare conversion row (the ledger's reconcile joins conversions); returns its id. */
export async function conversionRow(server: TestServer, handle: string, campaignId: string, value: string | null, currency = 'USD'): Promise<string> {
  const id = randomUUID();
  await server.sql.query(
    `insert into conversions (conversion_id, handle, idempotency_key, click_id, campaign_id, event_type, value, currency, body_hash)
     values ($1::uuid, $2, $1::text, $3, $4, 'sale', $5, $6, 'test')`,
    [id, handle, randomUUID(), campaignId, value, value === null ? null : currency],
  );
  return id;
}

import type { Pool } from 'pg';
import { clickHeldBySql } from '../campaigns/index.ts';
import { Params } from '../db/params.ts';
import { notFound } from '../http/errors.ts';
import { listCursor } from '../http/pagination.ts';
import { listWindow } from '../http/time-window.ts';

const CONVERSIONS_CURSOR = listCursor('conversions', ['timestamp', 'uuid']);

export interface ConversionFilters {
  campaignId?: string;
  partnerId?: string;
  from?: string;
  to?: string;
  status?: 'recorded' | 'partially_reversed' | 'reversed';
  /** The merchant's key (handle routes only). */
  idempotencyKey?: string;
  limit: number;
  cursor?: string;
}

// A conversion without a value is reversed by its first reversal; one with a value once nothing of it remains.
const STATUS = `case when v.reversals = 0 then 'recorded'
                     when v.value is null or v.reversed_value >= v.value then 'reversed'
                     else 'partially_reversed' end`;

/** The stored conversion object (API.md "Conversions, read and reversed"), selected from `conversions v`. */
const conversionColumns = (clickId: string, key: string) => `v.conversion_id as "conversionId",${key} ${clickId} as "clickId", v.campaign_id as "campaignId",
  v.partner_id as "partnerId", v.event_type as "eventType", v.value, v.currency, v.sub1, v.sub2, v.sub3, v.sub4, v.sub5,
  v.authenticated, v.click_is_bot as "clickIsBot", v.reversed_value as "reversedValue", ${STATUS} as status,
  v.created_at as "createdAt"`;
export const CONVERSION_COLUMNS = conversionColumns('v.click_id', ' v.idempotency_key as "idempotencyKey",');
/**
 * The partner realm's: the click's id only when the click was the partner's own (`cp`, the conversion's
 * campaign). A conversion credited to it after a handover, of a click made before, shows none (as it
 * shows none of that click's sub-IDs). Never the merchant's key: its order ids are not the partner's to
 * see, and knowing the scheme would let a visitor's ctx take a future order's key first.
 */
const PARTNER_CONVERSION_COLUMNS = conversionColumns(`case when ${clickHeldBySql('cp', 'v.click_id', 'v.partner_id')} then v.click_id end`, '');

/** Reads recorded conversions, newest first; `partnerId` also scopes the partner realm to its own. */
export class ConversionReader {
  private readonly deps: { pg: Pool };

  constructor(deps: { pg: Pool }) {
    this.deps = deps;
  }

  /** `partnerView`: the partner realm's list (f.partnerId is the calling partner). */
  async list(handle: string, f: ConversionFilters, partnerView = false) {
    const window = listWindow(f.from, f.to);
    const p = new Params();
    const where = [`v.handle = ${p.add(handle)}`];
    if (f.campaignId) where.push(`v.campaign_id = ${p.add(f.campaignId)}`);
    if (f.partnerId) where.push(`v.partner_id = ${p.add(f.partnerId)}`);
    if (window.from) where.push(`v.created_at >= ${p.add(window.from)}`);
    if (window.to) where.push(`v.created_at < ${p.add(window.to)}`);
    if (f.status) where.push(`${STATUS} = ${p.add(f.status)}`);
    if (f.idempotencyKey !== undefined && !partnerView) where.push(`v.idempotency_key = ${p.add(f.idempotencyKey)}`);
    const after = CONVERSIONS_CURSOR.after(f.cursor, handle);
    if (after) where.push(`(v.created_at, v.conversion_id) < (${p.add(after[0])}::timestamptz, ${p.add(after[1])}::uuid)`);
    const { rows } = await this.deps.pg.query(
      `select ${partnerView ? PARTNER_CONVERSION_COLUMNS : CONVERSION_COLUMNS}, to_char(v.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as k
         from conversions v${partnerView ? ' left join campaigns cp on cp.handle = v.handle and cp.campaign_id = v.campaign_id' : ''}
        where ${where.join(' and ')}
        order by v.created_at desc, v.conversion_id desc limit ${p.add(f.limit + 1)}`,
      p.values,
    );
    const page = CONVERSIONS_CURSOR.page(rows, f.limit, (r) => [r.k, r.conversionId], handle);
    return { data: page.data.map(({ k: _k, ...r }) => r), nextCursor: page.nextCursor };
  }

  /** One conversion; `partnerId` (partner realm) makes another partner's a 404 and shows the realm's columns. */
  async get(handle: string, conversionId: string, partnerId?: string) {
    const { rows } = await this.deps.pg.query(
      `select ${partnerId ? PARTNER_CONVERSION_COLUMNS : CONVERSION_COLUMNS}
         from conversions v${partnerId ? ' left join campaigns cp on cp.handle = v.handle and cp.campaign_id = v.campaign_id' : ''}
        where v.handle = $1 and v.conversion_id = $2 and ($3::text is null or v.partner_id = $3)`,
      [handle, conversionId, partnerId ?? null],
    );
    if (!rows[0]) throw notFound('Conversion');
    return rows[0];
  }
}

// What an audit event changed, in a line: the dashboard's audit log (page-audit.js) and `tenx audit list`
// (scripts/cli/audit.ts) say it in the same words, each writing money, days and arrows its own way (a style). No DOM:
// Node imports it too.

import { rewardScope } from './reward-scope.js';

/**
 * How a line writes money, a UTC day and a move: the dashboard's fmt (dom.js) and →, the CLI's 2 decimals, ISO days and ->.
 * @typedef {{ arrow: string, money: (n: unknown, currency?: string) => string, day: (iso: string) => string }} AuditStyle
 */

/** A commission's move (commission.status_changed): `pending → rejected: coupon abuse (follows_commission)`. */
function statusChange(p, arrow) {
  return `${p.from} ${arrow} ${p.to}${p.reason ? `: ${p.reason}` : ''}${p.via && p.via !== 'manual' ? ` (${p.via})` : ''}`;
}

/** A value in a change line: nested ones (a plugin's settings, routing rules) as JSON, cut at 80 characters. */
function shownValue(v) {
  if (v === undefined || v === null) return '—';
  const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/**
 * A payload of `before` and `after` objects (partner.updated, campaign.*, plugin.settings_changed): each field that
 * differs, from → to (only plain fields were shown, and these are nested). Null for any other payload.
 */
function beforeAfter(p, arrow) {
  if (!p.before || !p.after || typeof p.before !== 'object' || typeof p.after !== 'object') return null;
  const keys = [...new Set([...Object.keys(p.before), ...Object.keys(p.after)])];
  const changed = keys.filter((k) => JSON.stringify(p.before[k]) !== JSON.stringify(p.after[k]));
  return changed.length ? changed.map((k) => `${k} ${shownValue(p.before[k])} ${arrow} ${shownValue(p.after[k])}`).join(' · ') : 'saved unchanged';
}

/**
 * A repeat's `changes` (conversion.mismatch: {field: {original, submitted}}; conversion.reversal_mismatch: {field:
 * submitted}): what the repeat sent against what stands, with the key it reused. Null for any other payload.
 */
function submittedChanges(p, arrow) {
  if (!p.changes || typeof p.changes !== 'object') return null;
  // A conversion's repeat records both sides; a reversal's only what was sent.
  const both = (c) => c !== null && typeof c === 'object' && 'original' in c && 'submitted' in c;
  const changed = Object.entries(p.changes).map(([k, c]) => (both(c) ? `${k} ${shownValue(c.original)} ${arrow} ${shownValue(c.submitted)} (sent)` : `${k} ${shownValue(c)} (sent)`));
  const key = p.idempotencyKey ?? p.reversalKey;
  return [key !== undefined ? `key ${shownValue(key)}` : null, ...changed].filter(Boolean).join(' · ');
}

/** A payload's primitive fields as `key=value`: a type this file does not know yet (a newer server's). */
function fields(payload) {
  const shown = Object.entries(payload ?? {}).filter(([, v]) => v !== null && typeof v !== 'object');
  return shown.slice(0, 6).map(([k, v]) => `${k}=${v}`).join(' · ');
}

const lines = (n) => `${n} commission${n === 1 ? '' : 's'}`;
const joined = (...parts) => parts.filter(Boolean).join(' · ');
const listed = (...parts) => parts.filter(Boolean).join(', ');
/** A long id (a uuid) as its last 8 characters, `…c0ffee42`, as the audit log's Subject and Actor columns show one. */
export const idTail = (id) => (String(id).length > 20 ? `…${String(id).slice(-8)}` : String(id ?? '—'));
/** A conversion's event type and value: `affiliate_click 49.99 USD` (a lead without a value: its type alone). */
const conversionWhat = (p, s) => `${p.eventType ?? 'conversion'}${p.value !== null && p.value !== undefined ? ` ${s.money(p.value, p.currency)}` : ''}`;
/** A duration in seconds as a person says it: `24 h`, `90 min`, `45 s`. */
const duration = (secs) => (secs % 3600 === 0 ? `${secs / 3600} h` : secs % 60 === 0 ? `${secs / 60} min` : `${secs} s`);
/** A token's line, the handle's (token.created) or a partner's (partner_token.created): name, scopes, expiry. */
const tokenLine = (name, p, s) => joined(name, listed(...(p.scopes ?? [])), p.expiresAt ? `expires ${s.day(p.expiresAt)}` : 'no expiry');
const partnerToken = (p) => `partner ${p.partnerId ?? '—'}: ${p.name ?? ''}`;

/** A payout's line (core/commissions/payout-rows.ts); payout.amended: a refund took lines out of it, from what to what. */
function payoutLine(p, s) {
  const before = p.previousAmount !== undefined ? `${s.money(p.previousAmount, p.currency)}, ${lines(p.previousCommissionCount)} ${s.arrow} ` : '';
  return `${p.partnerId ?? ''} ${before}${s.money(p.amount, p.currency)}${p.commissionCount !== undefined ? `, ${lines(p.commissionCount)}` : ''}`
    + `${p.reference ? `, ref ${p.reference}` : ''}${p.via ? ` (${p.via})` : ''}`;
}

/** A reward rule as core/commissions/rewards.ts records it (the rule the API answers): what it pays per what, where, its hold. */
function rewardRule(p, s) {
  const per = p.event === 'click' ? 'per qualified click' : `per ${p.event}`;
  return joined(p.type === 'flat' ? `${s.money(p.amount, p.currency)} ${per}` : `${p.percent} % of the value ${per}`, rewardScope(p.scope), `hold ${p.holdDays ?? 0} d`);
}

/**
 * A line for each type the server writes (scripts/cli/audit.ts AUDIT_TYPES), from the fields core/ records for it (the
 * audit log of API.md: conversions, reversals, the ledger, campaign, partner, reward, token, webhook, postback and plugin
 * changes). Passes found a reversal shown as `reversalId=… · conversionId=…`, a new campaign or partner as nothing at
 * all, a handle's settings as JSON, a partner token, reward rule or postback as its raw fields.
 * @type {Record<string, (p: Record<string, any>, s: AuditStyle) => string | null>}
 */
export const AUDIT_SENTENCES = {
  'conversion.created': (p, s) => joined(conversionWhat(p, s), p.idempotencyKey !== undefined && `key ${shownValue(p.idempotencyKey)}`,
    listed(p.country, p.segment, p.source),
    p.authenticated === false && 'ctx only', p.clickIsBot && 'bot click', p.clickFound === false && 'click not found'),
  'conversion.deduped': (p, s) => `key ${shownValue(p.idempotencyKey)} sent again: the original ${conversionWhat(p, s)} stands`,
  'conversion.mismatch': (p, s) => submittedChanges(p, s.arrow),
  'conversion.reversal_mismatch': (p, s) => submittedChanges(p, s.arrow),
  // `value` is the conversion's, `reversedValue` all reversed of it so far, this reversal's included (core/conversions/reversals.ts).
  'conversion.reversed': (p, s) => {
    const part = p.value ? `${s.money(p.amount, p.currency)} of ${s.money(p.value, p.currency)}` : 'a conversion without value';
    const inAll = p.value && Number(p.reversedValue) > Number(p.amount) ? `, ${s.money(p.reversedValue, p.currency)} in all` : '';
    return joined(`${p.partnerId ?? ''} ${part} reversed (${p.reason})${inAll}`.trim(), p.reversalKey !== undefined && `key ${shownValue(p.reversalKey)}`, p.note && shownValue(p.note));
  },
  'campaign.created': ({ campaign: c = {} }, s) => joined(listed(c.goalType, c.status),
    c.primaryLink && `${c.primaryLink.slug} ${s.arrow} ${shownValue(c.primaryLink.destinationUrl)}`, c.partnerId && `partner ${c.partnerId}`),
  'campaign.updated': (p, s) => beforeAfter(p, s.arrow),
  'campaign.archived': (p, s) => beforeAfter(p, s.arrow),
  // The handle's settings: {changes: {field: {before, after}}} (core/tenants/settings.ts).
  'handle.updated': (p, s) => beforeAfter({
    before: Object.fromEntries(Object.entries(p.changes ?? {}).map(([k, c]) => [k, c?.before])),
    after: Object.fromEntries(Object.entries(p.changes ?? {}).map(([k, c]) => [k, c?.after])),
  }, s.arrow),
  'token.created': (p, s) => tokenLine(p.name, p, s),
  'token.revoked': (p) => p.name ?? '',
  'token.rotated': (p) => `${p.name ?? ''}${p.owner ? ' (owner)' : ''}`,
  'partner.created': ({ partner: p = {} }, s) => joined(listed(p.name, p.status), p.minimumPayout && `minimum payout ${s.money(p.minimumPayout)} (each currency)`),
  'partner.updated': (p, s) => beforeAfter(p, s.arrow),
  // core/partners/service.ts: {partnerId, name, scopes, expiresAt}; revoked: {partnerId, name}.
  'partner_token.created': (p, s) => tokenLine(partnerToken(p), p, s),
  'partner_token.revoked': (p) => partnerToken(p),
  'reward.created': rewardRule,
  'reward.replaced': (p, s) => `now ${rewardRule(p, s)}`,
  'reward.deleted': rewardRule,
  'commission.created': (p, s) => `${p.type ?? ''} ${s.money(p.amount, p.currency)} for ${p.partnerId ?? '—'}, ${p.status}${p.reason ? ` (${p.reason})` : ''}`,
  'commission.status_changed': (p, s) => `${p.partnerId ?? ''} ${statusChange(p, s.arrow)}`.trim(),
  'payout.created': payoutLine,
  'payout.paid': payoutLine,
  'payout.canceled': payoutLine,
  'payout.amended': payoutLine,
  'webhook.created': (p) => joined(shownValue(p.endpointUrl), listed(...(p.eventTypes ?? [])), p.channel && p.channel !== 'webhook' && `channel ${p.channel}`, p.retryTail && 'retries hourly after the 5 retries'),
  'webhook.updated': (p) => (p.retryTail ? 'retries hourly after the 5 retries' : 'stops after the 5 retries'),
  'webhook.deleted': (p) => shownValue(p.endpointUrl),
  // WEBHOOK_SECRET_OVERLAP_S may be 0: the previous secret then stopped signing at once.
  'webhook.rotated': (p) => (p.overlapSeconds ? `new secret; the previous one also signs for ${duration(p.overlapSeconds)}` : 'new secret; the previous one stopped signing at once'),
  // core/notifications/panel.ts: {webhookId, eventType, cycle}; a delivery's cycle counts its redeliveries.
  'delivery.redelivered': (p) => `${p.eventType ?? 'event'} sent again (redelivery ${p.cycle ?? '—'}) to webhook ${idTail(p.webhookId)}`,
  // core/notifications/postbacks.ts: {partnerId, urlTemplate, method, events}; deleted: {partnerId, urlTemplate}.
  'postback.created': (p) => joined(`partner ${p.partnerId ?? '—'}: ${p.method ?? 'GET'} ${shownValue(p.urlTemplate)}`, listed(...(p.events ?? []))),
  'postback.deleted': (p) => `partner ${p.partnerId ?? '—'}: ${shownValue(p.urlTemplate)}`,
  'plugin.settings_changed': (p, s) => beforeAfter(p, s.arrow),
};

/** One line for the change an event records, in `style`; its payload's fields for a type without a sentence (or a payload it does not fit). */
export function describeEvent(e, style) {
  const p = e.payload ?? {};
  return (Object.hasOwn(AUDIT_SENTENCES, e.type) ? AUDIT_SENTENCES[e.type](p, style) : undefined) ?? beforeAfter(p, style.arrow) ?? submittedChanges(p, style.arrow) ?? fields(p);
}

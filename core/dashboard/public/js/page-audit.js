// The audit log (audit.read; API.md: every conversion, status change, token, webhook and plugin change): newest first,
// filtered by type, campaign and UTC days kept in the URL, each event's change said in a line (who moved a commission
// from what to what, and why), so a dispute over a commission is settled without curl.

import { query } from './api.js';
import { h, fmt, card, ID_ATTRS } from './dom.js';
import { pagedTable } from './paged-table.js';
import { dayRangeFilter } from './day-range-filter.js';
import { beforeAfter, shownValue, statusChange, submittedChanges } from './audit-change.js';


/** A payload's primitive fields as `key=value`, the ones that say what changed first. */
function fields(payload) {
  const shown = Object.entries(payload ?? {}).filter(([, v]) => v !== null && typeof v !== 'object');
  return shown.slice(0, 6).map(([k, v]) => `${k}=${v}`).join(' · ');
}

const lines = (n) => `${n} commission${n === 1 ? '' : 's'}`;
const joined = (...parts) => parts.filter(Boolean).join(' · ');
const listed = (...parts) => parts.filter(Boolean).join(', ');
/** A conversion's event type and value: `affiliate_click 49.99 USD` (a lead without a value: its type alone). */
const conversionWhat = (p) => `${p.eventType ?? 'conversion'}${p.value !== null && p.value !== undefined ? ` ${fmt.money(p.value, p.currency)}` : ''}`;
/** A duration in seconds as a person says it: `24 h`, `90 min`, `45 s`. */
const duration = (s) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/**
 * The types whose payload says more than its plain fields, each in a line from the fields core/ records for it (the
 * audit log of API.md: conversions, reversals, the ledger, campaign, token and webhook changes). A pass found a
 * reversal shown as `reversalId=… · conversionId=…`, a new campaign or partner as nothing at all, a handle's settings as JSON.
 */
const SENTENCES = {
  'commission.status_changed': (p) => `${p.partnerId ?? ''} ${statusChange(p)}`.trim(),
  'commission.created': (p) => `${p.type ?? ''} ${fmt.money(p.amount, p.currency)} for ${p.partnerId ?? '—'}, ${p.status}${p.reason ? ` (${p.reason})` : ''}`,
  // conversion.mismatch and conversion.reversal_mismatch: what the repeat sent (submittedChanges).
  'conversion.created': (p) => joined(conversionWhat(p), p.idempotencyKey !== undefined && `key ${shownValue(p.idempotencyKey)}`,
    listed(p.country, p.segment, p.source),
    p.authenticated === false && 'ctx only', p.clickIsBot && 'bot click', p.clickFound === false && 'click not found'),
  'conversion.deduped': (p) => `key ${shownValue(p.idempotencyKey)} sent again: the original ${conversionWhat(p)} stands`,
  // `value` is the conversion's, `reversedValue` all reversed of it so far, this reversal's included (core/conversions/reversals.ts).
  'conversion.reversed': (p) => {
    const part = p.value ? `${fmt.money(p.amount, p.currency)} of ${fmt.money(p.value, p.currency)}` : 'a conversion without value';
    const inAll = p.value && Number(p.reversedValue) > Number(p.amount) ? `, ${fmt.money(p.reversedValue, p.currency)} in all` : '';
    return joined(`${p.partnerId ?? ''} ${part} reversed (${p.reason})${inAll}`.trim(), p.reversalKey !== undefined && `key ${shownValue(p.reversalKey)}`, p.note && shownValue(p.note));
  },
  'campaign.created': ({ campaign: c = {} }) => joined(listed(c.goalType, c.status), c.primaryLink && `${c.primaryLink.slug} → ${shownValue(c.primaryLink.destinationUrl)}`,
    c.partnerId && `partner ${c.partnerId}`),
  'partner.created': ({ partner: p = {} }) => joined(listed(p.name, p.status), p.minimumPayout && `minimum payout ${fmt.money(p.minimumPayout)} (each currency)`),
  // The handle's settings: {changes: {field: {before, after}}} (core/tenants/settings.ts).
  'handle.updated': (p) => beforeAfter({
    before: Object.fromEntries(Object.entries(p.changes ?? {}).map(([k, c]) => [k, c?.before])),
    after: Object.fromEntries(Object.entries(p.changes ?? {}).map(([k, c]) => [k, c?.after])),
  }),
  'token.created': (p) => joined(p.name, listed(...(p.scopes ?? [])), p.expiresAt ? `expires ${fmt.utcDay(p.expiresAt)}` : 'no expiry'),
  'token.revoked': (p) => p.name ?? '',
  'token.rotated': (p) => `${p.name ?? ''}${p.owner ? ' (owner)' : ''}`,
  'webhook.created': (p) => joined(shownValue(p.endpointUrl), listed(...(p.eventTypes ?? [])), p.channel && p.channel !== 'webhook' && `channel ${p.channel}`, p.retryTail && 'retries hourly after the 5 retries'),
  'webhook.updated': (p) => (p.retryTail ? 'retries hourly after the 5 retries' : 'stops after the 5 retries'),
  'webhook.deleted': (p) => shownValue(p.endpointUrl),
  'webhook.rotated': (p) => `new secret; the previous one also signs for ${duration(p.overlapSeconds ?? 0)}`,
};

/** One line for the change an event records; its payload's fields when the type has no sentence of its own. */
export function describeEvent(e) {
  const p = e.payload ?? {};
  if (SENTENCES[e.type]) return SENTENCES[e.type](p);
  if (e.type.startsWith('payout.')) {
    // payout.amended: a refund took lines out of the pending payout; say from what to what.
    const before = p.previousAmount !== undefined ? `${fmt.money(p.previousAmount, p.currency)}, ${lines(p.previousCommissionCount)} → ` : '';
    return `${p.partnerId ?? ''} ${before}${fmt.money(p.amount, p.currency)}${p.commissionCount !== undefined ? `, ${lines(p.commissionCount)}` : ''}`
      + `${p.reference ? `, ref ${p.reference}` : ''}${p.via ? ` (${p.via})` : ''}`;
  }
  return beforeAfter(p) ?? submittedChanges(p) ?? fields(p);
}

export async function renderAudit(ctx) {
  const asked = (key) => ctx.query?.get(key) ?? '';
  const type = h('input#audit-type', { 'aria-label': 'Event type', placeholder: 'exact type, e.g. commission.status_changed', list: 'audit-types', spellcheck: 'false', maxLength: 64, value: asked('type') });
  const typesSeen = h('datalist#audit-types');
  const campaignId = h('input#audit-campaign', { 'aria-label': 'Campaign id', placeholder: 'campaign id', ...ID_ATTRS, spellcheck: 'false', value: asked('campaignId') });
  const dates = dayRangeFilter('audit', ctx.query);
  const seen = new Set();
  const shownFilters = () => ({ type: type.value.trim() || undefined, campaignId: campaignId.value.trim() || undefined, ...dates.days() });
  const table = pagedTable({
    id: 'audit-table',
    path: '/audit-events',
    columns: ['Time', 'Type', 'Change', 'Subject', 'Actor'],
    params: () => ({ ...shownFilters(), ...dates.window() }),
    // A type is matched whole: "commission" finds nothing (a pass read that as no commission events at all).
    empty: () => (shownFilters().type && !shownFilters().type.includes('.')
      ? `No event has the type "${shownFilters().type}": a type is matched whole, e.g. ${shownFilters().type}.created (the box suggests the types seen).`
      : Object.values(shownFilters()).some(Boolean) ? 'No event matches these filters.' : 'No event yet: conversions, changes and tokens write one each.'),
    row,
  });
  const reload = () => {
    ctx.setQuery?.(query(shownFilters()));
    return table.reload();
  };
  const filterForm = h('form.toolbar#audit-filters', { method: 'post', on: { submit: (e) => { e.preventDefault(); void reload(); } } },
    type, typesSeen, campaignId, dates.el, h('button.btn#audit-apply', { type: 'submit' }, 'Apply'));
  for (const input of dates.inputs) input.addEventListener('change', reload);

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Audit log'),
      h('p.muted', {}, 'Who changed what, newest first: conversions, commission moves with their reasons, payouts, tokens, webhooks and plugins.')), filterForm),
    card('Events', table.el));
  await table.reload();

  function row(e) {
    if (!seen.has(e.type)) {
      seen.add(e.type);
      typesSeen.append(h('option', { value: e.type }));
    }
    return h('tr', { dataset: { eventId: e.eventId, type: e.type } },
      // The day above its time: one line of both took 195 of a phone's 328 pixels and left Change 68 (a pass).
      h('td.small', { title: fmt.utcTime(e.createdAt) }, h('div.nowrap', {}, fmt.utcDay(e.createdAt)), h('div.nowrap.muted', {}, fmt.utcClock(new Date(e.createdAt)))),
      h('td', {}, h('code', {}, e.type)),
      h('td.small.long-text', { dataset: { col: 'change' } }, describeEvent(e)),
      h('td.small', {}, e.campaignId ? h('div', {}, e.campaignId) : null, e.subjectId ? h('div.muted.mono', { title: e.subjectId }, e.subjectId.length > 20 ? `…${e.subjectId.slice(-8)}` : e.subjectId) : null),
      // The token's name ("owner", "ci", "partner alpha: portal"), its id on hover; an id's tail only for a token since gone.
      e.actorName ? h('td.small', { title: e.actor }, e.actorName) : h('td.small.mono', { title: e.actor }, e.actor.length > 20 ? `…${e.actor.slice(-8)}` : e.actor));
  }
}

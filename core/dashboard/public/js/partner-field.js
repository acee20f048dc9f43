// The partner a campaign names (API.md "Partners"): a select of the handle's partners with
// "(none)" first, read once per page from GET .../partners; without partners.read, a partner id
// typed by hand (the API answers 422 unknown_partner for an id it does not know).

import { api, query } from './api.js';
import { h, errorBox, scopeNote, ID_ATTRS } from './dom.js';
import { allowed } from './scopes.js';

const PAGE_SIZE = 500;
const MAX_PAGES = 20; // 10,000 partners: more than a select can usefully offer

/** The handle's partners ({list}), or null with a note saying why they cannot be listed. */
export async function partnerChoices(ctx) {
  if (!allowed(ctx.scopes, 'partners.read')) return { list: null, note: scopeNote('partners.read', 'The partner list') };
  try {
    const list = [];
    let cursor;
    for (let i = 0; i < MAX_PAGES; i++) {
      const page = await api(`/partners${query({ limit: PAGE_SIZE, cursor })}`);
      list.push(...page.data);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    return { list };
  } catch (err) {
    return { list: null, note: errorBox(err, 'Could not load partners') };
  }
}

const optionText = (p) => `${p.name} (${p.partnerId})${p.status === 'SUSPENDED' ? ', suspended' : ''}`;

/**
 * The control: `spec`/`attrs` as for h(); `current` is preselected (listed even if the list lacks
 * it). Its value is the partnerId, or "" for none.
 */
export function partnerInput(spec, attrs, choices, current = null) {
  if (!choices.list) {
    return h(`input${spec}`, { ...attrs, value: current ?? '', ...ID_ATTRS, placeholder: 'partner id (empty: none)', spellcheck: 'false' });
  }
  const known = choices.list.some((p) => p.partnerId === current);
  return h(`select${spec}`, attrs,
    h('option', { value: '' }, '(none)'),
    current && !known ? h('option', { value: current, selected: true }, current) : null,
    choices.list.map((p) => h('option', { value: p.partnerId, selected: p.partnerId === current }, optionText(p))));
}

/** The body field for the control's value: a partnerId, or null to take the campaign back. */
export const partnerValue = (input) => input.value.trim() || null;

/** The partner as a table cell shows it: its id, and its name when the list has it. */
export function partnerLabel(partnerId, choices) {
  if (!partnerId) return h('span.muted', {}, '—');
  const p = choices?.list?.find((x) => x.partnerId === partnerId);
  return [h('div.nowrap', {}, partnerId), p ? h('div.muted.small.partner-name.clamp-2', { title: p.name }, p.name) : null];
}

/**
 * A manager's "All partners / one partner" select for an analytics page (API.md: the partnerId filter on every
 * analytics route), preset from the URL's `partnerId`; null in the partner realm (its analytics are its own already)
 * and without partners.read (no list to choose from).
 */
export async function partnerFilter(ctx, id) {
  const partners = !ctx.partner && allowed(ctx.scopes, 'partners.read') ? await partnerChoices(ctx) : { list: null };
  if (!partners.list) return null;
  const asked = ctx.query?.get('partnerId') ?? '';
  return h(`select#${id}`, { 'aria-label': 'Partner' }, h('option', { value: '' }, 'All partners'),
    asked && !partners.list.some((p) => p.partnerId === asked) ? h('option', { value: asked, selected: true }, asked) : null,
    partners.list.map((p) => h('option', { value: p.partnerId, selected: p.partnerId === asked }, `${p.name} (${p.partnerId})`)));
}

// DOM building without innerHTML: every API string lands as text, so nothing it holds can run.

const ID_RULE = 'lower-case letters, digits and hyphens (at most 64), starting with a letter or digit, e.g. alpha-media';

/**
 * An id field's pattern (a campaign's, partner's or rule's id, as the API takes it) and what it means. The browser's own
 * "Please match the requested format." told a manager typing "Gamma Media" nothing (a dashboard pass): the title shows
 * beside it in a browser's bubble, and the field's own message says the rule wherever the message is read.
 */
export const ID_ATTRS = {
  pattern: '[a-z0-9][a-z0-9\\-]{0,63}',
  title: `Use ${ID_RULE}`,
  oninput: (e) => {
    e.target.setCustomValidity('');
    if (e.target.validity.patternMismatch) e.target.setCustomValidity(`An id uses ${ID_RULE}.`);
  },
};

/** h('tag.class#id', {attrs, on:{event}}, ...children) → Element. */
export function h(spec, attrs = {}, ...children) {
  const [, tag = 'div', rest = ''] = /^([a-z0-9-]*)(.*)$/i.exec(spec);
  const el = document.createElement(tag || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) ?? []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'class') el.className = value;
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Disables `button` while a request runs (a form's submit, a row's action); the returned `done()`
 * enables it again and gives back the focus that disabling dropped to <body> (pressed with the
 * keyboard, the focus was otherwise nowhere: Tab started again at the top of the page, and a screen
 * reader lost the form or row whose error had just appeared). A button the answer replaced needs no done().
 */
export function busy(button) {
  const had = document.activeElement === button;
  button.disabled = true;
  return () => {
    button.disabled = false;
    if (had && button.isConnected && (!document.activeElement || document.activeElement === document.body)) button.focus();
  };
}

/**
 * A box by a form or a row where what an action came to is said (say(), or a new secret shown once): a live region from
 * the start, so a screen reader reads each message (one made live only as its first message lands is often not
 * announced). `selector` as h takes it.
 */
export const feedbackBox = (selector = 'div.row-feedback', ...children) => h(selector, { 'aria-live': 'polite' }, ...children);

/**
 * Says what an action came to (a success, a refusal) in `box` (a feedbackBox), in place of what it said before, where
 * the person who acted sees it: the box is scrolled into view if it is not (a dashboard pass approved a commission at the
 * foot of a long ledger and its "moved to approved" showed at the top, out of sight).
 */
export function say(box, ...messages) {
  clear(box, ...messages);
  if (box.childNodes.length) box.scrollIntoView({ block: 'nearest' });
  return box;
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** SVG element with attributes (presentation attributes only: the CSP forbids inline styles). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
// The dashboard's days are UTC days (ranges, the lists' From/to, a payout run's period end, a token's
// expiry): a day picked as UTC is shown as UTC, never as the browser's day before or after. Times are
// UTC too, labelled, so a row's time and the range it falls in read on one clock.
const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const utcTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' });
const utcClock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium', timeZone: 'UTC' });

export const fmt = {
  int: (n) => (typeof n === 'number' ? integer.format(n) : '—'),
  money: (n, currency) => (typeof n === 'number' ? `${decimal.format(n)}${currency ? ` ${currency}` : ''}` : '—'),
  pct: (n) => (typeof n === 'number' ? percent.format(n) : '—'),
  utcDay: (iso) => (iso ? utcDay.format(new Date(iso)) : '—'),
  utcTime: (iso) => (iso ? `${utcTime.format(new Date(iso))} UTC` : '—'),
  /** A time of today, as a clock: `14:05:09 UTC`. */
  utcClock: (date) => `${utcClock.format(date)} UTC`,
  ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return `${Math.max(s, 0)} s ago`;
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  },
};

/**
 * A UTC time in a table cell that breaks, where its column needs the room, only between its day and its clock
 * ("Dec 7, 2026," over "2:51:34 PM UTC"); on one line it reads as fmt.utcTime. Kept whole on one line, the time took
 * ~190 pixels of a 942-pixel table at 1280 pixels wide, and the ids beside it broke mid-word (a dashboard pass).
 */
export function utcTimeText(iso) {
  const whole = fmt.utcTime(iso);
  const day = fmt.utcDay(iso);
  // The locale's own joint (en-US: ", ") stays with the day.
  const [, joint, clock] = (iso && whole.startsWith(day) && /^(\S*)\s+(.+)$/.exec(whole.slice(day.length))) || [];
  return clock ? [h('span.nowrap', {}, `${day}${joint}`), ' ', h('span.nowrap', {}, clock)] : h('span.nowrap', {}, whole);
}

/**
 * The API's error as the person should read it: its message, its code and each failing field. `fields` maps the API's
 * JSON pointers to the form's own labels ({'/body/partnerIds': 'Partners'}): a failing field is named as the form names
 * it (an item of a list as "Partners, item 2"), and so is the API's name of it in the message ("partnerIds" → "Partners",
 * "the partnerIds" too); a field the form fills in itself (a run's idempotencyKey) is given a phrase ('this run').
 * A pointer no entry covers is shown as it is. A dashboard pass met "idempotencyKey" on a form that has no such field.
 */
export function errorBox(err, title = 'The request failed', fields = {}) {
  const details = Array.isArray(err?.details) ? err.details : [];
  return h('div.alert.alert-error', { role: 'alert' },
    h('strong', {}, title),
    h('p', {}, fieldNames(err?.message ?? String(err), fields)),
    err?.code ? h('p.muted.small', {}, `${err.code}${err.status ? ` · HTTP ${err.status}` : ''}${err.requestId ? ` · request ${err.requestId}` : ''}`) : null,
    details.length ? h('ul.small', {}, details.map((d) => h('li', {}, fieldLabel(d.pointer ?? '', fields), ' ', d.message ?? ''))) : null,
  );
}

/** A detail's pointer as the form names it: the label of the longest pointer it starts with, else the pointer as code. */
function fieldLabel(pointer, fields) {
  const at = Object.keys(fields).filter((p) => pointer === p || pointer.startsWith(`${p}/`)).sort((a, b) => b.length - a.length)[0];
  if (at === undefined) return h('code', {}, pointer);
  const item = /^\/(\d+)$/.exec(pointer.slice(at.length));
  return h('strong', {}, item ? `${fields[at]}, item ${Number(item[1]) + 1}` : pointer === at ? fields[at] : `${fields[at]} (${pointer.slice(at.length + 1)})`);
}

/** The message with the API's names of the mapped fields (a pointer's last part, a whole word, with its "the") replaced by their labels. */
function fieldNames(message, fields) {
  return Object.entries(fields).reduce((text, [pointer, label]) => {
    const name = pointer.slice(pointer.lastIndexOf('/') + 1).replace(/[^\w-]/g, '');
    const said = (the) => (the?.startsWith('T') ? `${label[0].toUpperCase()}${label.slice(1)}` : label);
    return name ? text.replace(new RegExp(`(\\b[Tt]he )?\\b${name}\\b`, 'g'), (_, the) => said(the)) : text;
  }, message);
}

/** Shown where a token lacks the scope a page or section needs. */
export function scopeNote(scope, what) {
  // A partner cannot make tokens: its network issues them.
  const remedy = scope.startsWith('partner.') ? ' Ask your network for a token with it to see this.' : ' Create a token with it to see this.';
  return h('div.alert.alert-info', { role: 'note', dataset: { scopeNote: scope } },
    h('strong', {}, `${what} is hidden`),
    h('p', {}, 'This token lacks the ', h('code', {}, scope), ` scope.${remedy}`));
}

/**
 * The class of an id shown in a table cell: up to 24 characters it stays on one line (`short`); a
 * longer one (ids go up to 64 characters, sub-IDs up to 100) breaks where it must (.long-id) rather
 * than push the row's other columns and buttons out of view.
 */
export const idClass = (text, short = '.nowrap') => (String(text ?? '').length > 24 ? '.long-id' : short);

export function badge(text, tone = 'neutral', title) {
  return h(`span.badge.badge-${tone}`, { title }, text);
}

const STATUS_TONES = { ACTIVE: 'good', PAUSED: 'warn', DRAFT: 'neutral', ARCHIVED: 'muted', succeeded: 'good', failed: 'bad', retrying: 'warn', pending: 'neutral' };
export const statusBadge = (status) => badge(status, STATUS_TONES[status] ?? 'neutral');

export function card(title, ...body) {
  return h('section.card', {}, title ? h('h2.card-title', {}, title) : null, ...body);
}

export function emptyRow(cols, text) {
  // In a div: on a phone it is held in view, as wide as the screen, while the table is wider (css: tr.empty td > *).
  return h('tr.empty', {}, h('td', { colSpan: cols }, h('div', {}, text)));
}

/** Copies text; the async Clipboard API needs a secure context, so fall back to a selection. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea.offscreen', { readOnly: true }, text);
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('The browser refused to copy; select the link and copy it by hand.');
}

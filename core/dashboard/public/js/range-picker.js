// The date range control of the analytics pages: preset buttons (24 h … All time) and a custom
// from/to pair of UTC dates. It reads its start from the URL and writes every change back to it.

import { h, clear } from './dom.js';
import { PRESETS, customRangeError, isoDay, rangeWindow, sameRange } from './range.js';

const DAY = 86_400_000;

/** What the picker says the page covers, e.g. "2026-11-26 00:00 → now (UTC)"; `grain`: how a chart plots it. */
export function rangeSummary(range, { grain = false, now = Date.now() } = {}) {
  const w = rangeWindow(range, now);
  const at = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  if (!w.from) return 'Everything recorded so far (UTC)';
  return `${at(w.from)} → ${w.to ? at(w.to) : 'now'} (UTC)${grain ? `, by ${w.grain}` : ''}`;
}

/**
 * `initial` from parseRange; `onChange(range)` after every change the person makes (the page
 * reloads its data and ctx.setQuery keeps the URL); `chart`: the page plots the range (the summary
 * says by hour or by day). Returns { el, value() }.
 */
export function rangePicker(initial, onChange, { chart = false } = {}) {
  let range = initial;
  const buttons = PRESETS.map((p) => h('button.seg', { type: 'button', title: p.title, dataset: { range: p.id }, on: { click: () => choose({ id: p.id }) } }, p.label));
  const customButton = h('button.seg', { type: 'button', title: 'Choose the first and last day', dataset: { range: 'custom' }, 'aria-expanded': 'false', on: { click: toggleCustom } }, 'Custom');
  const today = isoDay(Date.now());
  const from = h('input#range-from', { type: 'date', max: today, 'aria-label': 'First day (UTC)' });
  const to = h('input#range-to', { type: 'date', max: today, 'aria-label': 'Last day (UTC), included' });
  const problem = h('span.error-text#range-error', { role: 'alert' });
  const custom = h('form.range-custom#range-custom', { hidden: true, on: { submit: applyCustom } },
    h('label.small', { for: 'range-from' }, 'From'), from,
    h('label.small', { for: 'range-to' }, 'to'), to,
    h('button.btn.btn-small#range-apply', { type: 'submit' }, 'Apply'), problem);
  const summary = h('span.range-summary.muted.small#range-summary', { 'aria-live': 'polite' });
  const el = h('div.range', {},
    h('div.segmented#range-picker', { role: 'group', 'aria-label': 'Date range' }, buttons, customButton),
    custom, summary);

  function show() {
    for (const b of [...buttons, customButton]) b.setAttribute('aria-pressed', String(b.dataset.range === range.id));
    if (range.id === 'custom') {
      from.value = range.from;
      to.value = range.to;
    }
    summary.textContent = rangeSummary(range, { grain: chart });
  }

  function choose(next) {
    custom.hidden = next.id !== 'custom';
    customButton.setAttribute('aria-expanded', String(!custom.hidden));
    if (sameRange(next, range)) return;
    range = next;
    show();
    onChange(range);
  }

  function toggleCustom() {
    custom.hidden = !custom.hidden;
    customButton.setAttribute('aria-expanded', String(!custom.hidden));
    if (!custom.hidden && !from.value) {
      // Start from what is shown now, so Apply alone changes nothing surprising.
      const w = rangeWindow(range);
      from.value = w.from ? w.from.slice(0, 10) : isoDay(Date.now() - 29 * DAY);
      to.value = w.to ? isoDay(Date.parse(w.to) - 1) : today;
    }
    if (!custom.hidden) from.focus();
  }

  function applyCustom(ev) {
    ev.preventDefault();
    const error = customRangeError(from.value, to.value);
    clear(problem, error ?? '');
    if (!error) choose({ id: 'custom', from: from.value, to: to.value });
  }

  show();
  if (range.id === 'custom') custom.hidden = false;
  return { el, value: () => range };
}

// A list filter's pair of UTC days (From … to), as the lists' pages show them: the days themselves
// go in the page's URL (#/commissions?from=2026-12-01&to=2026-12-03); the API is sent the whole of
// both days, from the first one's start to the start of the day after the last (its `to` is
// exclusive), as the payouts form and the CLI's --period-end read a bare date as its day's end.

import { h } from './dom.js';
import { parseDay } from './range.js';

const DAY = 86_400_000;
const iso = (t) => new Date(t).toISOString();

/** `id` names the inputs (`conversion` → #conversion-from, #conversion-to); `query`: the page's URL query. */
export function dayRangeFilter(id, query) {
  const asked = (key) => (Number.isNaN(parseDay(query?.get(key))) ? '' : query.get(key));
  const from = h(`input#${id}-from`, { type: 'date', 'aria-label': 'From (UTC day)', value: asked('from') });
  const to = h(`input#${id}-to`, { type: 'date', 'aria-label': 'To (UTC day, included)', value: asked('to') });
  // Each bounds the other, so the pickers offer no From after To (the API's 400 "`from` must be before `to`").
  const bound = () => {
    to.min = from.value;
    from.max = to.value;
  };
  bound();
  for (const input of [from, to]) input.addEventListener('input', bound);
  return {
    el: h('span.toolbar-dates', {}, h('label.small', { for: from.id }, 'From'), from, h('label.small', { for: to.id }, 'to'), to),
    inputs: [from, to],
    /** For the URL: the days as chosen. */
    days: () => ({ from: from.value || undefined, to: to.value || undefined }),
    /** For the API: the instants bounding them. */
    window: () => ({
      from: from.value ? iso(parseDay(from.value)) : undefined,
      to: to.value ? iso(parseDay(to.value) + DAY) : undefined,
    }),
  };
}

// The "All campaigns / one campaign" select of the analytics pages (Breakdowns, Sub-IDs), kept in the page's URL:
// the campaign asked for there is chosen at once, before the list of campaigns arrives, and listed once.

import { h } from './dom.js';

/** `chosen`: the URL's campaignId (or ''). Returns the <select> and add(ids), which lists the handle's campaigns. */
export function campaignFilter(id, chosen) {
  const el = h(`select#${id}`, { 'aria-label': 'Campaign' }, h('option', { value: '' }, 'All campaigns'),
    chosen ? h('option', { value: chosen, selected: true }, chosen) : null);
  return {
    el,
    add: (ids) => {
      for (const campaignId of ids) if (campaignId !== chosen) el.append(h('option', { value: campaignId }, campaignId));
    },
  };
}

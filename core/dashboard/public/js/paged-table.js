// A table fed by a list endpoint ({data, nextCursor}): first page, "Load more" by cursor, reload on
// a filter change. Rows are built by the page; this keeps the paging in one place.

import { api, query } from './api.js';
import { h, clear, errorBox, emptyRow, busy } from './dom.js';
import { focusIn } from './row-focus.js';

/**
 * `path` is the list route, `params()` the current filters, `row(item)` one <tr>, `empty` the text of
 * an empty list (or a function of the filters giving it: "none yet" and "none matches" differ). `onPage(res)`
 * sees each response (e.g. its `summary`). `stack`: on a phone each row is a block, its third cell
 * onwards full width (few columns, one long value: the portal's short links). `errors`: where a
 * refused load says why (e.g. beside the filter form whose values the API refused); by default above
 * the table. A failed "Load more" says why beside the button, where the person clicked, and keeps
 * the rows loaded. `onLoad({ shown, more })` follows every page that arrives (a count in a heading).
 * A column is its title, or { title, num (right-aligned), hint (the header's tooltip) }. Returns { el, reload, items }.
 */
export function pagedTable({ id, path, columns, params = () => ({}), row, empty, onPage = () => {}, onLoad = () => {}, pageSize = 50, stack = false, errors: errorsAt = null }) {
  const tbody = h('tbody');
  const errors = errorsAt ?? h('div');
  const more = h('button.btn.btn-ghost', { type: 'button', hidden: true, on: { click: () => void load() } }, 'Load more');
  const moreErrors = h('div.table-more-error');
  const items = [];
  let cursor = null;
  let seq = 0;

  async function load() {
    const mine = seq;
    // busy() gives the button its focus back; once the last page hides it, the first row that page brought takes it.
    const hadFocus = document.activeElement === more;
    let firstNew = null;
    const done = busy(more);
    try {
      const res = await api(`${path}${query({ limit: pageSize, cursor, ...params() })}`);
      if (mine !== seq) return;
      clear(errors);
      clear(moreErrors);
      if (!cursor) onPage(res);
      items.push(...res.data);
      const shown = tbody.children.length;
      for (const item of res.data) tbody.append(row(item));
      if (!items.length) tbody.append(emptyRow(columns.length, typeof empty === 'function' ? empty() : empty));
      firstNew = tbody.children[shown] ?? null;
      cursor = res.nextCursor;
      more.hidden = !cursor;
      onLoad({ shown: items.length, more: Boolean(cursor) });
    } catch (err) {
      if (mine !== seq) return;
      if (cursor) clear(moreErrors, errorBox(err, 'Could not load more'));
      else clear(errors, errorBox(err, 'Could not load the list'));
    } finally {
      done();
      if (hadFocus && more.hidden && firstNew && document.activeElement === document.body) focusIn(firstNew);
    }
  }

  function reload() {
    seq++;
    cursor = null;
    items.length = 0;
    clear(tbody);
    clear(moreErrors);
    return load();
  }

  const el = h('div', {}, errorsAt ? null : errors,
    h('div.table-wrap', {}, h(stack ? 'table.table.table-stack' : 'table.table', { id },
      h('thead', {}, h('tr', {}, columns.map((c) => (typeof c === 'string' ? h('th', {}, c) : h(c.num ? 'th.num' : 'th', { title: c.hint }, c.title))))),
      tbody)),
    h('div.table-more', {}, moreErrors, more));
  return { el, reload, items };
}

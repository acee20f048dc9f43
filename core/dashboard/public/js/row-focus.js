// A row redrawn after its own action (a commission approved, a payout canceled, a partner
// suspended, a token revoked) or removed (a rule deleted): the control pressed went with the old row, or was disabled while the API answered,
// and the focus fell back to <body>: a screen reader lost its place and the keyboard had to find the
// row again. The focus stays in the row.

const CONTROLS = 'button:not(:disabled), input:not(:disabled), select:not(:disabled), a[href]';

/**
 * Runs `redraw()`, which replaces `row` (returning the new one) or redraws it in place; when the
 * focus was in the row, or lost to <body>, it goes to the redrawn row's control of the same
 * `action` (data-action), else to its first control. Focus elsewhere (the bulk bar) stays there.
 */
export function redrawRow(row, action, redraw) {
  const active = document.activeElement;
  const keep = !active || active === document.body || row.contains(active);
  const fresh = redraw() ?? row;
  if (keep) focusIn(fresh, action);
  return fresh;
}

/** The row's control of `action`, else its first control, else the row itself (a revoked token's row has none left). */
export function focusIn(row, action) {
  const control = row.querySelector(`[data-action="${action}"]:not(:disabled)`) ?? row.querySelector(CONTROLS);
  if (control) return control.focus();
  row.tabIndex = -1;
  row.focus();
}

/**
 * Removes `row` (a rule deleted); when the focus was in it or lost, it goes to the next row's `action`, else the previous
 * one's, else (the last row) to `fallback()`: what the page offers next, e.g. the form that adds the first one again.
 */
export function removeRow(row, action, fallback = () => null) {
  const active = document.activeElement;
  const keep = !active || active === document.body || row.contains(active);
  const neighbour = row.nextElementSibling ?? row.previousElementSibling;
  const table = row.closest('table');
  row.remove();
  if (!keep) return;
  if (neighbour) return focusIn(neighbour, action);
  // The list is empty: the fallback, else the table, which then says so.
  const next = fallback() ?? table;
  if (!next) return;
  if (!next.matches(CONTROLS)) next.tabIndex = -1;
  next.focus();
}

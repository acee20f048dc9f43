// A row redrawn after its own action (a commission approved, a payout canceled, a partner
// suspended): the control pressed went with the old row, or was disabled while the API answered,
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
  if (keep) (fresh.querySelector(`[data-action="${action}"]:not(:disabled)`) ?? fresh.querySelector(CONTROLS))?.focus();
  return fresh;
}

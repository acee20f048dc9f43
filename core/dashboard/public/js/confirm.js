// Asking before an action that cannot be undone or that changes what partners earn: a modal
// <dialog> saying what will happen, the action's own words on its button. Cancel has the focus, so
// Enter or Escape straight away does nothing.

import { h } from './dom.js';

/** Resolves true when the person confirms, false on Cancel or Escape. */
export function confirmAction({ title, body, confirm, tone = 'danger', keep = 'Cancel' }) {
  return new Promise((resolve) => {
    // `keep`: the button that does nothing, named otherwise where the action is itself a cancel ("Cancel payout").
    const cancel = h('button.btn', { type: 'button', dataset: { confirm: 'cancel' }, on: { click: () => dialog.close('cancel') } }, keep);
    const ok = h(`button.btn.${tone === 'danger' ? 'btn-danger' : 'btn-primary'}`, { type: 'button', dataset: { confirm: 'ok' }, on: { click: () => dialog.close('ok') } }, confirm);
    const dialog = h('dialog.confirm', { 'aria-labelledby': 'confirm-title' },
      h('h2.card-title#confirm-title', {}, title),
      [body].flat().map((p) => h('p', {}, p)),
      h('div.confirm-actions', {}, cancel, ok));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

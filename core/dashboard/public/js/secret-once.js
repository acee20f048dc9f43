// A secret the API returns once (a partner token, a webhook's or a postback's signing secret): said
// so in the heading, the secret as text with a Copy button, a line on what to do with it, and "Done,
// hide it". Nothing keeps it: gone from the page, it is gone.

import { h } from './dom.js';
import { copyButton } from './page-campaigns.js';

/** `secretClass` marks the <code> (tests find the secret by it); `onDone()` hides the box. */
export function shownOnce({ heading, secret, secretClass, copyTitle, note, dataset, onDone }) {
  return h('div.alert.alert-success.token-once', { role: 'status', dataset },
    h('strong', {}, `${heading}: copy it now, it is not shown again`),
    h('div.link-cell', {}, h(`code.secret.${secretClass}`, {}, secret), copyButton(secret, copyTitle)),
    h('p.small', {}, note),
    h('button.btn.btn-small.btn-ghost', { type: 'button', on: { click: onDone } }, 'Done, hide it'));
}

/** Removes the box showing `tokenId`'s secret from `container`, if one is there (the token was revoked). */
export function forgetSecret(container, tokenId) {
  for (const box of container.querySelectorAll('.token-once')) if (box.dataset.tokenId === tokenId) box.remove();
}

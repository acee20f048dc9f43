// Sign-in: a handle and a personal access token, checked against the API before anything is kept.

import { session } from './api.js';
import { h, clear, errorBox, busy, feedbackBox } from './dom.js';
import { isPartnerToken, probeScopes } from './scopes.js';

const KIND_TEXT = {
  none: 'A handle token (tenx_pat_…) opens the manager pages; a partner token (tenx_ptk_…) opens that partner\'s portal.',
  partner: 'Partner token: signs in to the partner portal (your campaigns, links, funnel and commissions).',
  handle: 'Handle token: signs in to the manager pages its scopes allow.',
};
const tokenKind = (value) => (!value.trim() ? 'none' : isPartnerToken(value.trim()) ? 'partner' : 'handle');

const HANDLE_PATTERN = '[a-z0-9](?:[a-z0-9\\-]{1,38}[a-z0-9])';

/** Renders the sign-in screen into `root`; calls onSignedIn(scopes) once the token checks out. */
export function renderSignIn(root, { onSignedIn, notice }) {
  const feedback = feedbackBox('div.feedback', notice ? errorBox(notice, 'Signed out') : null);
  const handle = h('input#signin-handle', {
    name: 'handle', required: true, autocomplete: 'username', pattern: HANDLE_PATTERN, spellcheck: 'false', autocapitalize: 'none',
    // The browser adds this to its own "match the requested format" message.
    title: 'Lowercase letters, digits and hyphens (3 to 40), as in your short links: /acme/…',
    placeholder: 'acme', value: session.handle ?? '',
  });
  // Handles are lowercase and have no spaces: "Demo " (a capital, a pasted space) is "demo", not a format error.
  handle.addEventListener('input', () => {
    const { value, selectionStart } = handle;
    const normal = value.toLowerCase().replace(/\s+/g, '');
    if (normal === value) return;
    // The caret stays where it was typed (less the spaces dropped before it), not at the end.
    const caret = value.slice(0, selectionStart ?? value.length).replace(/\s+/g, '').length;
    handle.value = normal;
    handle.setSelectionRange(caret, caret);
  });
  const token = h('input#signin-token', {
    name: 'token', type: 'password', required: true, autocomplete: 'current-password', placeholder: 'tenx_pat_… or tenx_ptk_…', spellcheck: 'false',
  });
  // The prefix says who signs in: a manager (handle token) or a partner (its portal).
  const kind = h('p.muted.small#signin-kind', { 'aria-live': 'polite' }, KIND_TEXT.none);
  token.addEventListener('input', () => (kind.textContent = KIND_TEXT[tokenKind(token.value)]));
  const submit = h('button.btn.btn-primary#signin-submit', { type: 'submit' }, 'Sign in');

  // method=post and a JS handler: even before scripts run, the token can never land in a query string.
  const form = h('form.signin-form', { method: 'post', on: { submit: onSubmit } },
    h('label', { for: 'signin-handle' }, 'Handle'), handle,
    h('label', { for: 'signin-token' }, 'Access token'), token, kind,
    h('p.muted.small', {}, 'The token stays in this tab only (sessionStorage) and is sent as a bearer header.'),
    submit, feedback);

  async function onSubmit(event) {
    event.preventDefault();
    const credentials = { handle: handle.value.trim(), token: token.value.trim() };
    const done = busy(submit);
    clear(feedback, h('p.muted', {}, 'Checking the token…'));
    try {
      const scopes = await probeScopes(credentials);
      session.save(credentials.handle, credentials.token);
      token.value = '';
      onSignedIn(scopes);
    } catch (err) {
      clear(feedback, errorBox(err, 'Could not sign in'));
    } finally {
      done();
    }
  }

  clear(root, h('main.signin', {},
    h('div.signin-card', {},
      h('div.brand.brand-large', {}, h('img', { src: '/dashboard/img/logo.svg', alt: '', width: 28, height: 28 }), h('span', {}, 'tenx')),
      h('h1', {}, 'Partner dashboard'),
      h('p.muted', {}, 'Campaigns, live funnel, breakdowns, partners, commissions and payouts for one handle, or a partner\'s own portal.'),
      form)));
  (session.handle ? token : handle).focus();
}

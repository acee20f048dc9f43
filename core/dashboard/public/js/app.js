// The dashboard shell: sign-in gate, sidebar of the pages the token may see, hash router.

import { api, onUnauthorized, session } from './api.js';
import { h, clear, errorBox, scopeNote } from './dom.js';
import { allowed, probeScopes } from './scopes.js';
import { renderSignIn } from './page-signin.js';
import { renderCampaigns } from './page-campaigns.js';
import { renderFunnel } from './page-funnel.js';
import { renderBreakdowns } from './page-breakdowns.js';
import { renderNotifications } from './page-notifications.js';
import { renderTokens } from './page-tokens.js';
import { renderPlugins } from './page-plugins.js';
import { renderPartners } from './page-partners.js';
import { renderRewards } from './page-rewards.js';
import { renderConversions } from './page-conversions.js';
import { renderCommissions } from './page-commissions.js';
import { renderPayouts } from './page-payouts.js';
import { renderPortalHome, renderPortalLinks } from './page-portal.js';
import { renderSubIds } from './page-subids.js';
import { renderPartnerCommissions, renderPartnerPayouts } from './page-partner-ledger.js';
import { renderPortalPostbacks } from './page-postbacks.js';
import { renderAudit } from './page-audit.js';

// `keepsRange`: an analytics page whose date range lives in the URL (#/funnel?range=7d); moving
// between such pages keeps the range.
// `realm`: which token opens the page. A manager (handle token) never sees the portal's pages and
// a partner (tenx_ptk_) never sees the manager's; the scope decides within the realm.
const PAGES = [
  { id: 'campaigns', title: 'Campaigns', scope: 'campaigns.read', render: renderCampaigns, icon: '◎' },
  { id: 'funnel', title: 'Funnel', scope: 'analytics.read', render: renderFunnel, icon: '▽', keepsRange: true },
  { id: 'breakdowns', title: 'Breakdowns', scope: 'analytics.read', render: renderBreakdowns, icon: '▤', keepsRange: true },
  { id: 'partners', title: 'Partners', scope: 'partners.read', render: renderPartners, icon: '☺' },
  { id: 'rewards', title: 'Reward rules', scope: 'commissions.read', render: renderRewards, icon: '★' },
  { id: 'conversions', title: 'Conversions', scope: 'conversions.read', render: renderConversions, icon: '✓' },
  { id: 'commissions', title: 'Commissions', scope: 'commissions.read', render: renderCommissions, icon: '%' },
  { id: 'payouts', title: 'Payouts', scope: 'payouts.read', render: renderPayouts, icon: '⇪' },
  { id: 'notifications', title: 'Notifications', scope: ['notifications.read', 'webhooks.read'], render: renderNotifications, icon: '✉' },
  { id: 'plugins', title: 'Plugins', scope: 'plugins.read', render: renderPlugins, icon: '⚙' },
  { id: 'tokens', title: 'Access tokens', scope: 'tokens.write', render: renderTokens, icon: '◆' },
  { id: 'audit', title: 'Audit log', scope: 'audit.read', render: renderAudit, icon: '☰' },
  { id: 'portal', title: 'Overview', scope: 'partner.read', realm: 'partner', render: renderPortalHome, icon: '⌂' },
  { id: 'links', title: 'Links', scope: 'partner.read', realm: 'partner', render: renderPortalLinks, icon: '◎' },
  { id: 'live', title: 'Live funnel', scope: 'partner.read', realm: 'partner', render: renderFunnel, icon: '▽', keepsRange: true },
  { id: 'subids', title: 'Sub-IDs', scope: 'partner.read', realm: 'partner', render: renderSubIds, icon: '▤', keepsRange: true },
  { id: 'my-commissions', title: 'Commissions', scope: 'partner.commissions', realm: 'partner', render: renderPartnerCommissions, icon: '%', missing: 'not on this server yet' },
  { id: 'my-payouts', title: 'Payouts', scope: 'partner.payouts', realm: 'partner', render: renderPartnerPayouts, icon: '⇪', missing: 'not on this server yet' },
  { id: 'postbacks', title: 'Postbacks', scope: 'partner.read', realm: 'partner', render: renderPortalPostbacks, icon: '↗' },
];

/** The pages of the signed-in token's realm. */
/** A page's scope as the sidebar names it: one, or the alternatives that each open it. */
const scopeName = (scope) => [scope].flat().join(' or ');
const realmPages = () => PAGES.filter((p) => (p.realm ?? 'handle') === (state?.scopes?.partner ? 'partner' : 'handle'));

const root = document.getElementById('app');
let state = null; // { scopes, tenant, leave: [] } while signed in

function signOut(notice) {
  leavePage();
  state = null;
  session.clear();
  window.removeEventListener('hashchange', route);
  renderSignIn(root, { onSignedIn: start, notice });
}

onUnauthorized((err) => signOut(err));

function leavePage() {
  for (const fn of state?.leave ?? []) {
    try { fn(); } catch { /* a page's cleanup must not block navigation */ }
  }
  if (state) state.leave = [];
}

async function start(scopes) {
  state = { scopes, tenant: null, leave: [] };
  if (scopes.partner) {
    // The partner's own name in the header; its handle's name is not the partner's business.
    state.tenant = { name: scopes.partner.name };
  } else {
    // Name and reporting currency for the header (any token of the handle may read them); optional, the pages work without them.
    state.tenant = await api('').catch(() => null);
  }
  window.addEventListener('hashchange', route);
  route();
}

/** The hash's query (#/funnel?range=7d → "?range=7d"). */
const hashQuery = () => (location.hash.includes('?') ? location.hash.slice(location.hash.indexOf('?')) : '');

/** Sidebar links of range-keeping pages carry the range the person chose last. */
function linkRange(search) {
  for (const a of root.querySelectorAll('.nav-link[data-keeps-range]')) a.setAttribute('href', `#/${a.dataset.page}${search}`);
}

function shell(page) {
  const visible = realmPages().filter((p) => allowed(state.scopes, p.scope));
  const hidden = realmPages().filter((p) => !allowed(state.scopes, p.scope));
  const nav = h('nav.nav#nav-pages', { 'aria-label': 'Pages' }, visible.map((p) =>
    h(`a.nav-link${p.id === page?.id ? '.active' : ''}`, { href: `#/${p.id}`, dataset: p.keepsRange ? { page: p.id, keepsRange: '' } : { page: p.id }, 'aria-current': p.id === page?.id ? 'page' : undefined },
      h('span.nav-icon', { 'aria-hidden': 'true' }, p.icon), p.title)));
  const hiddenNote = hidden.length
    ? h('p.nav-hidden.small', {}, 'Hidden for this token: ', hidden.map((p) => `${p.title} (${p.missing ?? scopeName(p.scope)})`).join(', '), '.')
    : null;
  const main = h('main.content#content', { tabIndex: -1 });
  const tenantName = state.tenant?.name ?? session.handle;
  // On a phone the page list folds behind this button (unfolded it took half the screen above every page);
  // the sidebar is built again on each navigation, so choosing a page folds it back.
  const menu = h('button.btn.btn-ghost.menu-toggle#menu-toggle', {
    type: 'button', 'aria-expanded': 'false', 'aria-controls': 'nav-pages',
    on: { click: () => fold(!sidebar.classList.contains('menu-open')) },
  }, h('span.nav-icon', { 'aria-hidden': 'true' }, '☰'), page?.title ?? 'Pages');
  const fold = (open) => {
    sidebar.classList.toggle('menu-open', open);
    menu.setAttribute('aria-expanded', String(open));
  };
  // The page already shown makes no navigation: choosing it folds the list too (a pass left it open over the page).
  nav.addEventListener('click', (e) => {
    if (e.target.closest?.('.nav-link[aria-current="page"]')) fold(false);
  });
  const sidebar = h('aside.sidebar', {},
    h('div.brand', {}, h('img', { src: '/dashboard/img/logo.svg', alt: '', width: 24, height: 24 }), h('span', {}, 'tenx')),
    h('div.tenant', {}, h('div.tenant-name', {}, tenantName),
      h('div.tenant-handle.muted.small', {}, state.scopes.partner ? `partner ${state.scopes.partner.partnerId} @${session.handle}` : `@${session.handle}`)),
    menu, nav, hiddenNote,
    h('button.btn.btn-ghost.signout#signout', { type: 'button', on: { click: () => signOut() } }, 'Sign out'));
  // Escape folds the open list (a pass on a phone pressed it and the list stayed open over the page). The focus goes
  // back to the button when it was in the list (or nowhere); focus the person put in the page stays there.
  const onEscape = (e) => {
    if (e.key !== 'Escape' || !sidebar.classList.contains('menu-open')) return;
    const inMenu = sidebar.contains(document.activeElement) || document.activeElement === document.body;
    fold(false);
    if (inMenu) menu.focus();
  };
  document.addEventListener('keydown', onEscape);
  state.leave.push(() => document.removeEventListener('keydown', onEscape));
  clear(root, h('div.layout', {}, sidebar, main));
  return main;
}

/**
 * The page to show for the hash: the one it names if this token may see it, else the first page it
 * may see (the hash can be left over from a sign-in with other scopes, or be a bookmark).
 */
function pageFor(id) {
  const requested = realmPages().find((p) => p.id === id);
  if (requested && allowed(state.scopes, requested.scope)) return requested;
  return realmPages().find((p) => allowed(state.scopes, p.scope)) ?? null;
}

/** Only when no page is visible at all: say why, naming the page asked for if there was one. */
function showNothingVisible(main, id) {
  const requested = realmPages().find((p) => p.id === id);
  if (requested) {
    document.title = `${requested.title} · tenx`;
    main.append(h('h1', {}, requested.title), scopeNote(scopeName(requested.scope), `The ${requested.title.toLowerCase()} page`));
  } else {
    main.append(h('h1', {}, 'Nothing to show'), scopeNote('campaigns.read', 'Every page'));
  }
}

function route() {
  if (!state) return;
  leavePage();
  const id = location.hash.replace(/^#\/?/, '').split('?')[0];
  const page = pageFor(id);
  // replaceState, not location.hash: no second hashchange, and Back does not return to the hidden page.
  if (page && page.id !== id) history.replaceState(null, '', `#/${page.id}`);
  const main = shell(page);
  // The shell was rebuilt, the sidebar link just followed with it: the focus would fall back to <body>
  // and Tab start again at the top. It goes to the page's content (a page may then move it on).
  main.focus({ preventScroll: true });
  if (page?.keepsRange && hashQuery()) linkRange(hashQuery());
  if (!page) return showNothingVisible(main, id);
  document.title = `${page.title} · tenx`;
  const ctx = {
    el: main,
    handle: session.handle,
    scopes: state.scopes,
    tenant: state.tenant,
    currency: state.tenant?.reportingCurrency ?? '',
    partner: state.scopes.partner ?? null,
    analyticsPath: state.scopes.partner ? '/partner/analytics' : '/analytics',
    /** The page's state in the URL: read at render, written (no hashchange, no history entry) on change. */
    query: new URLSearchParams(hashQuery()),
    // `range`: the part of `search` the other range pages' links carry (a breakdown's campaign stays on its page).
    setQuery: (search, range = search) => {
      history.replaceState(null, '', `#/${page.id}${search}`);
      if (page.keepsRange) linkRange(range);
    },
    onLeave: (fn) => state.leave.push(fn),
  };
  Promise.resolve(page.render(ctx)).catch((err) => main.append(errorBox(err, `The ${page.title.toLowerCase()} page failed to load`)));
}

async function boot() {
  if (!session.token || !session.handle) return renderSignIn(root, { onSignedIn: start });
  clear(root, h('p.loading', {}, 'Loading…'));
  try {
    await start(await probeScopes({ handle: session.handle, token: session.token }));
  } catch (err) {
    // A rejected token or handle ends the session; a server that is down does not.
    if (err?.status === 401 || err?.status === 404) return signOut(err);
    clear(root, h('main.signin', {}, h('div.signin-card', {}, errorBox(err, 'The dashboard could not start'),
      h('button.btn.btn-primary', { type: 'button', on: { click: boot } }, 'Try again'))));
  }
}

// An error shown in a form is about what was sent: editing the form again takes it away. A dashboard pass saw a slug's
// 409 stay under the corrected form while the browser blocked the next submit (a destination without https).
document.addEventListener('input', (e) => {
  const form = e.target?.closest?.('form');
  for (const box of form?.querySelectorAll('.alert-error') ?? []) box.remove();
});

void boot();

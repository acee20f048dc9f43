// Campaigns: one per partner. List, create (goal types from the handle's plugins, the partner from
// its partners), pause/activate, change the partner and status, copy the short link.

import { api } from './api.js';
import { h, idClass, clear, errorBox, scopeNote, statusBadge, card, copyText, busy, ID_ATTRS, feedbackBox } from './dom.js';
import { pagedTable } from './paged-table.js';
import { allowed } from './scopes.js';
import { partnerChoices, partnerInput, partnerLabel, partnerValue } from './partner-field.js';
import { campaignEditor } from './campaign-editor.js';
import { redrawRow } from './row-focus.js';
import { confirmStop } from './confirm-stop.js';

const PAGE_SIZE = 50;
// The destination sits under its short link: a column of its own pushed the table past a 1280-pixel window.
const COLUMNS = ['Campaign', 'Partner', 'Status', 'Short link → destination', ''];

export async function renderCampaigns(ctx) {
  const canWrite = allowed(ctx.scopes, 'campaigns.write');
  const count = h('span.muted.count');
  // Read once for the create form, the editors and the partner column's names.
  const partners = canWrite || allowed(ctx.scopes, 'partners.read') ? await partnerChoices(ctx) : { list: null };
  const table = pagedTable({
    id: 'campaigns-table', path: '/campaigns', columns: COLUMNS, row, pageSize: PAGE_SIZE,
    empty: canWrite ? 'No campaign yet: create the first one above.' : 'No campaign yet.',
    onLoad: ({ shown, more }) => (count.textContent = `(${shown}${more ? '+' : ''})`),
  });

  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Campaigns ', count), h('p.muted', {}, 'One campaign per partner isolates its attribution.'))),
    canWrite ? await createCard(ctx, partners, () => table.reload()) : scopeNote('campaigns.write', 'Creating, pausing and editing campaigns'),
    card('All campaigns', table.el));

  /** The campaign's id, title and goal type. */
  const nameParts = (c) => {
    const title = c.primaryLink?.title;
    return [h(`div.strong${idClass(c.campaignId)}`, {}, c.campaignId), title ? h('div.muted.small.truncate', { title }, title) : null, h('code.goal-type', {}, c.goalType)];
  };
  /** Its short link (with Copy) and where it leads. */
  const linkParts = (c) => {
    const link = c.primaryLink ?? {};
    return [link.shortUrl
      ? h('div.link-cell', {}, h('a.short-link', { href: link.shortUrl, target: '_blank', rel: 'noopener noreferrer' }, link.shortUrl), copyButton(link.shortUrl))
      : h('span.muted', {}, link.slug ?? '—'),
    h('div.clamp-2.small.muted.destination', { title: link.destinationUrl }, `→ ${link.destinationUrl ?? '—'}`)];
  };

  function row(c) {
    const feedback = feedbackBox();
    const actions = h('td.actions');
    const tr = h('tr', { dataset: { campaignId: c.campaignId } },
      h('td.name', {}, nameParts(c)),
      h('td.partner', {}, partnerLabel(c.partnerId, partners)),
      h('td.status', {}, statusBadge(c.status)),
      h('td.link', {}, linkParts(c)),
      actions);
    let editing = null; // the editor's row while open
    if (canWrite) renderActions();
    return tr;

    function renderActions() {
      const next = c.status === 'ACTIVE' ? { status: 'PAUSED', label: 'Pause' } : c.status === 'ARCHIVED' ? null : { status: 'ACTIVE', label: 'Activate' };
      clear(actions, next
        ? h('button.btn.btn-small', { type: 'button', dataset: { action: next.label.toLowerCase() }, on: { click: (e) => setStatus(e.currentTarget, next.status) } }, next.label)
        : null, ' ',
      h('button.btn.btn-small.btn-ghost', { type: 'button', dataset: { action: 'edit' }, 'aria-expanded': String(Boolean(editing)), on: { click: toggleEditor } }, 'Edit'),
      feedback);
    }

    function show(updated) {
      Object.assign(c, updated);
      // The editor may have changed the title or the destination too.
      clear(tr.querySelector('td.name'), nameParts(c));
      clear(tr.querySelector('td.link'), linkParts(c));
      clear(tr.querySelector('td.partner'), partnerLabel(c.partnerId, partners));
      clear(tr.querySelector('td.status'), statusBadge(c.status));
      renderActions();
    }

    // The editor lives in a row of its own under the campaign's, as wide as the table.
    function toggleEditor() {
      // Closed with Edit (redrawn), or from inside the editor: the focus returns to Edit.
      if (editing) return void redrawRow(tr, 'edit', closeEditor);
      clear(feedback);
      editing = h('tr.detail.campaign-editor', { dataset: { editorFor: c.campaignId } }, h('td', { colSpan: COLUMNS.length },
        campaignEditor(c, partners, {
          onSaved: (updated) => {
            closeBack(() => show(updated));
            feedback.append(h('div.alert.alert-success', { role: 'status' }, 'Saved.'));
          },
          onClose: () => closeBack(),
        })));
      tr.after(editing);
      renderActions();
      editing.querySelector('select, input')?.focus();
    }
    function closeBack(then = () => {}) {
      redrawRow(editing, 'edit', () => {
        closeEditor();
        then();
        return tr;
      });
    }
    function closeEditor() {
      editing?.remove();
      editing = null;
      renderActions();
    }

    async function setStatus(button, status) {
      // One click cut a partner's traffic off: a paused campaign's link answers 404 and counts no click (API.md).
      if (!(await confirmStop(c, status))) return;
      const done = busy(button);
      clear(feedback);
      try {
        const updated = await api(`/campaigns/${encodeURIComponent(c.campaignId)}`, { method: 'PATCH', body: { status } });
        // The focus stays where the button was, now its opposite (Pause → Activate).
        redrawRow(tr, updated.status === 'ACTIVE' ? 'pause' : 'activate', () => {
          closeEditor(); // its status select would now undo this
          show(updated);
        });
      } catch (err) {
        done();
        feedback.append(errorBox(err, `Could not set ${c.campaignId} to ${status}`));
      }
    }
  }

  await table.reload();
}

export function copyButton(text, title = 'Copy the short link') {
  const button = h('button.btn.btn-small.btn-ghost.copy', { type: 'button', title, on: { click: onCopy } }, 'Copy');
  async function onCopy() {
    try {
      await copyText(text);
      button.textContent = 'Copied';
    } catch (err) {
      button.textContent = 'Copy failed';
      button.title = err.message;
    }
    setTimeout(() => (button.textContent = 'Copy'), 1500);
  }
  return button;
}

/** Goal types the handle has enabled, from its plugins; null when that list cannot be read. */
async function goalTypes(ctx) {
  if (!allowed(ctx.scopes, 'plugins.read')) return { names: null, note: scopeNote('plugins.read', 'The goal type list') };
  try {
    const plugins = await api('/plugins');
    return { names: (plugins.goalTypes ?? []).filter((g) => g.enabled).map((g) => ({ name: g.name, description: g.description })) };
  } catch (err) {
    return { names: null, note: errorBox(err, 'Could not load goal types') };
  }
}

async function createCard(ctx, partners, onCreated) {
  const { names, note } = await goalTypes(ctx);
  const field = (label, input, hint) => h('div.field', {}, h('label', { for: input.id }, label), input, hint ? h('div.hint', {}, hint) : null);
  const campaignId = h('input#new-campaign-id', { name: 'campaignId', required: true, ...ID_ATTRS, placeholder: 'partner-alpha', spellcheck: 'false' });
  const goalType = names
    ? h('select#new-goal-type', { name: 'goalType', required: true }, names.map((g) => h('option', { value: g.name, title: g.description ?? undefined, selected: g.name === 'AFFILIATE_CLICKOUT' }, g.name)))
    : h('input#new-goal-type', { name: 'goalType', required: true, value: 'AFFILIATE_CLICKOUT' });
  const partner = partnerInput('#new-partner', { name: 'partnerId' }, partners);
  const status = h('select#new-status', { name: 'status' }, ['ACTIVE', 'DRAFT', 'PAUSED'].map((s) => h('option', { value: s }, s)));
  const slug = h('input#new-slug', { name: 'slug', required: true, placeholder: 'deal-alpha', spellcheck: 'false' });
  const destinationUrl = h('input#new-destination', { name: 'destinationUrl', type: 'url', required: true, placeholder: 'https://merchant.example.com/product?ref=alpha' });
  const title = h('input#new-title', { name: 'title', placeholder: 'Partner Alpha - Product Deal' });
  const windowDays = h('input#new-window', { name: 'attributionWindowDays', type: 'number', min: 1, max: 365, placeholder: '30' });
  const submit = h('button.btn.btn-primary#new-campaign-submit', { type: 'submit' }, 'Create campaign');
  const feedback = feedbackBox('div.feedback');

  // Mirror the campaign id into the slug until the person edits the slug themselves.
  let slugTouched = false;
  slug.addEventListener('input', () => (slugTouched = true));
  campaignId.addEventListener('input', () => { if (!slugTouched) slug.value = campaignId.value; });

  const form = h('form.form-grid#new-campaign', { method: 'post', on: { submit: onSubmit } },
    field('Campaign id', campaignId), field('Goal type', goalType, note), field('Partner', partner, partners.note), field('Status', status),
    field('Slug', slug), field('Destination URL', destinationUrl), field('Link title', title),
    field('Attribution window (days)', windowDays), h('div.field.field-submit', {}, submit), feedback);

  async function onSubmit(event) {
    event.preventDefault();
    const body = {
      campaignId: campaignId.value.trim(),
      goalType: goalType.value.trim(),
      status: status.value,
      ...(partnerValue(partner) && { partnerId: partnerValue(partner) }),
      primaryLink: { slug: slug.value.trim(), destinationUrl: destinationUrl.value.trim(), ...(title.value.trim() && { title: title.value.trim() }) },
      ...(windowDays.value && { attributionWindowDays: Number(windowDays.value) }),
    };
    const done = busy(submit);
    clear(feedback);
    try {
      const created = await api('/campaigns', { method: 'POST', body });
      form.reset();
      slugTouched = false;
      feedback.append(h('div.alert.alert-success', { role: 'status' }, 'Created ', h('strong', {}, created.campaignId),
        created.primaryLink?.shortUrl ? [': ', h('code', {}, created.primaryLink.shortUrl)] : null));
      await onCreated(created);
    } catch (err) {
      feedback.append(errorBox(err, 'Could not create the campaign'));
    } finally {
      done();
    }
  }

  return card('New campaign', form);
}

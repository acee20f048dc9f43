// Plugins (manager): the bot detectors that judge the handle's clicks, its goal types, tracking presets and
// notification channels; enable or disable one, and change its settings in a form built from its settings schema
// (GET and PUT /v2/handles/{handle}/plugins). The API replaces settings whole: a save sends all of them.

import { api } from './api.js';
import { h, clear, errorBox, card, badge, scopeNote, busy, feedbackBox } from './dom.js';
import { allowed } from './scopes.js';
import { confirmAction } from './confirm.js';

/** What disabling a plugin of each group does at once, said before it is done (a pass disabled the webhook channel unawares). */
const DISABLE_EFFECT = {
  botDetectors: 'Clicks it would flag count as qualified from the next click on, and can earn commissions.',
  goalTypes: 'Campaigns of this goal type stop taking its conversion event types.',
  trackingPresets: 'Clicks are no longer decorated by it.',
  notificationChannels: 'Every delivery through this channel fails (channel_disabled) until it is enabled again; the webhooks stay listed as active.',
};

const GROUPS = [
  ['botDetectors', 'Bot detectors', 'A click any enabled detector flags is still redirected and counted in clicks, never in qualified clicks, and earns no commission.'],
  ['goalTypes', 'Goal types', 'What a campaign is paid on: its conversion event types and routing conditions.'],
  ['trackingPresets', 'Tracking presets', "How a click is decorated: its segment, and the ctx parameter's name."],
  ['notificationChannels', 'Notification channels', 'How webhook events leave the server.'],
];

/** One input per settings property the form can edit as such; anything else (objects, lists) as JSON text. */
function inputFor(plugin, key, prop, value) {
  const id = `plugin-${plugin.name}-${key}`.replace(/[^a-zA-Z0-9_-]/g, '-');
  const type = [prop.type].flat()[0];
  let input;
  if (type === 'boolean') input = h('input', { id, type: 'checkbox', name: key, checked: value === true });
  else if (Array.isArray(prop.enum)) {
    // Unset: a blank first choice, so a save does not pick the first value for the person.
    const blank = value === undefined ? [h('option', { value: '', selected: true }, '—')] : [];
    input = h('select', { id, name: key }, blank, prop.enum.map((v) => h('option', { value: String(v), selected: v === value }, String(v))));
  } else if (type === 'integer' || type === 'number') {
    input = h('input', { id, type: 'number', name: key, value: value ?? '', min: prop.minimum, max: prop.maximum, step: type === 'integer' ? 1 : 'any', required: value !== undefined });
  } else if (type === 'string') input = h('input', { id, name: key, value: value ?? '', maxLength: prop.maxLength, spellcheck: 'false' });
  else input = h('textarea', { id, name: key, rows: 2, spellcheck: 'false' }, value === undefined ? '' : JSON.stringify(value));
  input.dataset.kind = type === 'boolean' ? 'boolean' : Array.isArray(prop.enum) ? 'enum' : type === 'integer' || type === 'number' ? 'number' : type === 'string' ? 'string' : 'json';
  return h('label.inline-field', { title: prop.description }, h('span', {}, key), input);
}

/**
 * The form's values as settings; throws a message naming the field whose JSON does not parse. A field left empty
 * that had no value is left out (never sent as '' or 0: a plugin whose setting has no default refused those).
 */
function valuesOf(form, plugin) {
  const settings = { ...plugin.settings };
  for (const el of form.querySelectorAll('[data-kind]')) {
    const kind = el.dataset.kind;
    if (kind !== 'boolean' && el.value === '' && plugin.settings?.[el.name] === undefined) continue;
    if (kind === 'boolean') settings[el.name] = el.checked;
    else if (kind === 'number') settings[el.name] = Number(el.value);
    else if (kind === 'json') {
      if (el.value.trim() === '') delete settings[el.name];
      else {
        try {
          settings[el.name] = JSON.parse(el.value);
        } catch {
          throw new Error(`${el.name} is not valid JSON.`);
        }
      }
    } else if (kind === 'enum') {
      const option = (plugin.settingsSchema.properties[el.name].enum ?? []).find((v) => String(v) === el.value);
      settings[el.name] = option ?? el.value;
    } else settings[el.name] = el.value;
  }
  return settings;
}

export async function renderPlugins(ctx) {
  const canWrite = allowed(ctx.scopes, 'plugins.write');
  const body = h('div');
  ctx.el.append(
    h('header.page-head', {}, h('div', {}, h('h1', {}, 'Plugins'),
      h('p.muted', {}, "What judges and decorates this handle's clicks, what its campaigns are paid on, and how its events leave. A change applies to the next click on every server within a second."))),
    ...(canWrite ? [] : [scopeNote('plugins.write', 'Enabling, disabling and changing settings')]),
    body);
  const byKind = await api('/plugins');
  for (const [group, title, note] of GROUPS) {
    const plugins = byKind[group] ?? [];
    if (!plugins.length) continue;
    body.append(card(title, h('p.muted.small', {}, note), h('div.table-wrap', {}, h('table.table', { id: `plugins-${group}` },
      h('thead', {}, h('tr', {}, h('th', {}, 'Plugin'), h('th', {}, 'Status'), h('th', {}, 'Settings'), canWrite ? h('th', {}, '') : null)),
      h('tbody', {}, plugins.map((p) => row(p, group)))))));
  }

  function row(plugin, group) {
    const tr = h('tr', { dataset: { plugin: plugin.name } });
    fill(plugin);
    return tr;

    function fill(p) {
      const feedback = feedbackBox();
      const properties = Object.entries(p.settingsSchema?.properties ?? {});
      const form = canWrite && properties.length
        ? h('form.inline-form.plugin-settings', { method: 'post', on: { submit: (e) => { e.preventDefault(); void save(p.enabled, e.submitter ?? saveButton, true); } } },
          properties.map(([key, prop]) => inputFor(p, key, prop, p.settings?.[key])))
        : null;
      const saveButton = form ? h('button.btn.btn-small.btn-primary', { type: 'submit', dataset: { action: 'save' } }, 'Save settings') : null;
      if (form) form.append(saveButton);
      const toggle = canWrite
        ? h(`button.btn.btn-small${p.enabled ? '' : '.btn-primary'}`, { type: 'button', dataset: { action: p.enabled ? 'disable' : 'enable' }, on: { click: (e) => save(!p.enabled, e.currentTarget, false) } },
          p.enabled ? 'Disable' : 'Enable')
        : null;
      clear(tr,
        h('td', {}, h('div.strong', {}, p.name), h('div.muted.small', {}, `${p.version}${p.description ? ` · ${p.description}` : ''}`),
          p.eventTypes?.length ? h('div.muted.small', {}, `events: ${p.eventTypes.join(', ')}`) : null),
        h('td', {}, p.enabled ? badge('enabled', 'good') : badge('disabled', 'muted')),
        h('td', {}, form ?? (Object.keys(p.settings ?? {}).length ? h('code.small', {}, JSON.stringify(p.settings)) : h('span.muted', {}, '—')), form ? null : feedback),
        canWrite ? h('td.actions', {}, toggle, form ? feedback : null) : null);

      /** Enable and Disable send only `enabled` (the API keeps the settings); Save sends the form's settings. */
      async function save(enabled, button, withSettings) {
        clear(feedback);
        let settings;
        try {
          settings = form && withSettings ? valuesOf(form, p) : undefined;
        } catch (err) {
          feedback.append(errorBox(err, `Not saved: ${p.name}`));
          return;
        }
        if (p.enabled && !enabled && !(await confirmAction({
          title: `Disable ${p.name}?`, body: [DISABLE_EFFECT[group] ?? 'It stops applying at once, on every server.', 'Enable brings it back.'], confirm: 'Disable',
        }))) return;
        const done = busy(button);
        try {
          const updated = await api(`/plugins/${encodeURIComponent(p.name)}`, { method: 'PUT', body: settings ? { enabled, settings } : { enabled } });
          fill(updated);
          tr.querySelector('.row-feedback')?.append(h('span.muted.small', { role: 'status' }, withSettings ? `Settings saved; ${updated.enabled ? 'enabled' : 'disabled'}.` : `Saved: ${updated.enabled ? 'enabled' : 'disabled'}.`));
        } catch (err) {
          done();
          feedback.append(errorBox(err, `Could not save ${p.name}`));
        }
      }
    }
  }
}

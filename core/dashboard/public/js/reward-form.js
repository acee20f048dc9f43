// Creating or replacing a reward rule: PUT .../rewards/{rewardId} (a new id creates, a known one
// replaces). Campaign, partner and event are typed, with the handle's own as suggestions, so the
// API decides what exists: its 400, 409 (another rule covers this scope and event) and 422
// (unknown_campaign, unknown_partner) show next to the form.

import { api, query } from './api.js';
import { h, clear, errorBox, card, busy, fmt, ID_ATTRS, feedbackBox } from './dom.js';
import { confirmAction } from './confirm.js';
import { allowed } from './scopes.js';
import { partnerChoices } from './partner-field.js';

/** A flat reward from this much per event asks first. */
const LARGE_FLAT = 1000;

/** The handle's campaigns (first 500) for the suggestions; none without campaigns.read. */
async function campaignList(ctx) {
  if (!allowed(ctx.scopes, 'campaigns.read')) return [];
  return (await api(`/campaigns${query({ limit: 500 })}`).catch(() => ({ data: [] }))).data;
}

/** The event types of the goal types enabled for the handle (what a rule can pay); none without plugins.read. */
async function goalTypeEvents(ctx) {
  if (!allowed(ctx.scopes, 'plugins.read')) return [];
  const plugins = await api('/plugins').catch(() => ({ goalTypes: [] }));
  return plugins.goalTypes.filter((g) => g.enabled).flatMap((g) => g.eventTypes ?? []);
}

const suggestions = (id, values) => h(`datalist#${id}`, {}, [...new Set(values)].map((v) => h('option', { value: v })));

/** Returns { el, edit(rule) }: `edit` fills the form with a rule to replace it. `onSaved(rule, created)` after a 200/201. */
export async function rewardForm(ctx, { onSaved }) {
  const [campaigns, partners, events] = await Promise.all([campaignList(ctx), partnerChoices(ctx), goalTypeEvents(ctx)]);
  const field = (label, input, hint) => h('div.field', { dataset: { field: input.name } }, h('label', { for: input.id }, label), input, hint ? h('div.hint.muted', {}, hint) : null);
  const rewardId = h('input#reward-id', { name: 'rewardId', required: true, ...ID_ATTRS, placeholder: 'default-sale', spellcheck: 'false' });
  const campaignId = h('input#reward-campaign', { name: 'campaignId', ...ID_ATTRS, placeholder: 'any campaign', list: 'reward-campaigns', spellcheck: 'false' });
  const partnerId = h('input#reward-partner', { name: 'partnerId', ...ID_ATTRS, placeholder: 'any partner', list: 'reward-partners', spellcheck: 'false' });
  const event = h('input#reward-event', { name: 'event', required: true, placeholder: 'click, or e.g. affiliate_click', list: 'reward-events', spellcheck: 'false' });
  const type = h('select#reward-type', { name: 'type' }, h('option', { value: 'flat' }, 'Flat amount'), h('option', { value: 'percent' }, 'Percent of the value'));
  const amount = h('input#reward-amount', { name: 'amount', type: 'number', min: 0.01, step: '0.01', placeholder: '5.00' });
  const currency = h('input#reward-currency', { name: 'currency', pattern: '[A-Z]{3}', maxLength: 3, placeholder: ctx.currency || 'USD', spellcheck: 'false' });
  const percent = h('input#reward-percent', { name: 'percent', type: 'number', min: 0.01, max: 100, step: '0.01', placeholder: '10' });
  const holdDays = h('input#reward-hold', { name: 'holdDays', type: 'number', min: 0, max: 365, step: 1, placeholder: '30' });
  const submit = h('button.btn.btn-primary#reward-submit', { type: 'submit' }, 'Save rule');
  const feedback = feedbackBox('div.feedback#reward-feedback');
  const flatFields = [field('Amount', amount, 'Per click, or per conversion'), field('Currency', currency, `Empty: ${ctx.currency || 'the reporting currency'}`)];
  const percentFields = [field('Percent', percent, "Of the conversion's value, in its currency")];
  const showType = () => {
    for (const f of flatFields) f.hidden = type.value !== 'flat';
    for (const f of percentFields) f.hidden = type.value !== 'percent';
    amount.required = type.value === 'flat';
    percent.required = type.value === 'percent';
  };
  type.addEventListener('change', showType);
  showType();

  const form = h('form.form-grid#reward-form', { method: 'post', on: { submit: onSubmit } },
    field('Rule id', rewardId, 'A known id replaces that rule'),
    field('Campaign', campaignId, 'Empty: every campaign'),
    field('Partner', partnerId, partners.list ? 'Empty: every partner' : partners.note),
    field('Event', event, '"click" pays per qualified click'),
    field('Reward', type, 'What one event earns'), flatFields, percentFields,
    field('Hold (days)', holdDays, 'Empty: 30'),
    h('div.field.field-submit', {}, submit), feedback,
    suggestions('reward-campaigns', campaigns.map((c) => c.campaignId)),
    suggestions('reward-partners', (partners.list ?? []).map((p) => p.partnerId)),
    suggestions('reward-events', ['click', ...campaigns.map((c) => c.conversionEvent).filter(Boolean), ...events]));

  function body() {
    const scope = {
      ...(campaignId.value.trim() && { campaignId: campaignId.value.trim() }),
      ...(partnerId.value.trim() && { partnerId: partnerId.value.trim() }),
    };
    // Amounts and percents go as typed: the API keeps two decimals, the page does no arithmetic.
    const reward = type.value === 'flat'
      ? { amount: Number(amount.value), ...(currency.value.trim() && { currency: currency.value.trim() }) }
      : { percent: Number(percent.value) };
    return { scope, event: event.value.trim(), type: type.value, ...reward, ...(holdDays.value !== '' && { holdDays: Number(holdDays.value) }) };
  }

  async function onSubmit(e) {
    e.preventDefault();
    const id = rewardId.value.trim();
    const rule = body();
    // A typo of a few zeros pays every event that much from now on (the API takes up to 999,999,999,999.99): asked first.
    if (rule.type === 'flat' && rule.amount >= LARGE_FLAT && !(await confirmAction({
      title: `Pay ${fmt.money(rule.amount, rule.currency || ctx.currency)} per ${rule.event === 'click' ? 'qualified click' : `${rule.event || 'event'}`}?`,
      body: 'That is a large amount for one event. Every matching event from now on earns it; commissions already created never change.',
      confirm: 'Save the rule', tone: 'primary',
    }))) return;
    const done = busy(submit);
    clear(feedback);
    try {
      const res = await api(`/rewards/${encodeURIComponent(id)}`, { method: 'PUT', body: rule, raw: true });
      const saved = await res.json();
      form.reset();
      showType();
      feedback.append(h('div.alert.alert-success', { role: 'status' }, res.status === 201 ? 'Created ' : 'Replaced ', h('strong', {}, saved.rewardId), '. It applies to events from now on; commissions already created never change.'));
      await onSaved(saved, res.status === 201);
    } catch (err) {
      feedback.append(errorBox(err, `Could not save the rule ${id}`));
    } finally {
      done();
    }
  }

  function edit(r) {
    clear(feedback);
    rewardId.value = r.rewardId;
    campaignId.value = r.scope.campaignId ?? '';
    partnerId.value = r.scope.partnerId ?? '';
    event.value = r.event;
    type.value = r.type;
    amount.value = r.amount ?? '';
    currency.value = r.currency ?? '';
    percent.value = r.percent ?? '';
    holdDays.value = String(r.holdDays);
    showType();
    form.scrollIntoView({ block: 'nearest' });
    event.focus();
  }

  return { el: card('New rule, or replace one', form), edit };
}

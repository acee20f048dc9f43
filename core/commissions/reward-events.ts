import { unprocessable } from '../http/errors.ts';
import type { GoalTypePlugin, PluginHost } from '../plugins/index.ts';

/**
 * The events a reward rule may name: "click", and the event types of the goal types this server has loaded (of the
 * campaign's own goal type when the rule names one). A rule for any other event would never apply, silently: a typo
 * such as "affiliate-click" paid nothing and said nothing. Loaded rather than enabled for the handle, as conversions
 * are checked: a handle that disables a goal type keeps its campaigns of it converting.
 */
function rewardEvents(host: PluginHost, goalType?: string): string[] {
  const goalTypes = goalType === undefined ? host.manifests : [host.get(goalType)];
  const loaded = goalTypes.filter((m): m is GoalTypePlugin => m?.kind === 'goal-type');
  return ['click', ...new Set(loaded.flatMap((m) => m.eventTypes))];
}

/** 422 event_type_not_allowed (as for a conversion) naming the events a rule of this scope can pay. */
export function checkRewardEvent(host: PluginHost, event: string, campaign?: { campaignId: string; goalType: string }): void {
  const allowed = rewardEvents(host, campaign?.goalType);
  if (allowed.includes(event)) return;
  const of = campaign ? `campaign "${campaign.campaignId}" (${campaign.goalType})` : 'any goal type this server has loaded';
  throw unprocessable('event_type_not_allowed', `Event "${event}" is no event of ${of}, so the rule would never pay; allowed: ${allowed.join(', ')}.`);
}

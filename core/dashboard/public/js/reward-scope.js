// A reward rule's scope in words: the rules table and its delete dialog (page-rewards.js), and the audit log's
// reward.* lines (audit-change.js, the CLI's too). No DOM: Node imports it too.

/** Its parts, [kind, id]: `[['campaign', 'spring'], ['partner', 'alpha']]`; none for a rule of the whole handle. */
export const rewardScopeParts = (s = {}) => [['campaign', s.campaignId], ['partner', s.partnerId]].filter(([, id]) => id);

/** `campaign spring · partner alpha`, or `whole handle`. */
export const rewardScope = (s = {}) => rewardScopeParts(s).map(([kind, id]) => `${kind} ${id}`).join(' · ') || 'whole handle';

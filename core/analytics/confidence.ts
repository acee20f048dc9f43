// Data-quality scoring for funnel rows: the one place confidence is computed.

export const CONFIDENCE_REASONS = {
  bot_ratio_20_40: 'Between 20% and 40% of clicks were flagged as bots: some bot noise.',
  bot_ratio_over_40: 'More than 40% of clicks were flagged as bots: traffic is likely fraudulent.',
  conversions_exceed_qualified_clicks: 'There are more conversions than qualified clicks.',
  implausible_conversions_per_click: 'More than 3 conversions per qualified click (or more than 3 without any): no real visitor converts that often; conversions are likely posted without visits.',
  stale_data: 'The campaign is active but has had no click for more than 7 days.',
  low_volume: 'Fewer than 30 clicks: too little data to judge.',
} as const;

export type ConfidenceReason = keyof typeof CONFIDENCE_REASONS;

export const PENALTIES: Record<ConfidenceReason, number> = {
  bot_ratio_20_40: 15,
  bot_ratio_over_40: 30,
  conversions_exceed_qualified_clicks: 25,
  // Named (issue 12), but no points of its own: it implies more conversions than qualified clicks, which
  // already costs 25, and API.md's list of penalties is the whole arithmetic of the score.
  implausible_conversions_per_click: 0,
  stale_data: 10,
  low_volume: 10,
};

export const STALE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
export const LOW_VOLUME_CLICKS = 30;
/**
 * Conversions per qualified click above which the campaign's numbers look impossible (on top of
 * exceeding its clicks): a shop sees well under one; a partner posting sales on its own clicks does not.
 */
export const IMPLAUSIBLE_CONVERSIONS_PER_CLICK = 3;

export interface ConfidenceInput {
  clicks: number;
  qualifiedClicks: number;
  conversions: number;
  status: string;
  lastClickAt: Date | string | null | undefined;
  now: Date;
}

export interface Confidence {
  score: number;
  reasons: ConfidenceReason[];
}

// The ratios are the contract's quotients as they are (API.md, Analytics), not rounded: 1 bot in 3 clicks is 1/3, so
// a client recomputing one from the counts gets the same number. Rounding is for whoever displays them.

/** (clicks − qualified) / clicks; 0 without clicks. */
export function botRatio(clicks: number, qualified: number): number {
  return clicks > 0 ? (clicks - qualified) / clicks : 0;
}

/** conversions / qualified clicks; 0 without a qualified click. */
export function conversionRate(conversions: number, qualified: number): number {
  return qualified > 0 ? conversions / qualified : 0;
}

/** Integer comparisons (bots·5 vs clicks) so 20% and 40% land in the band exactly, free of float error. */
function botReason(clicks: number, qualified: number): ConfidenceReason | undefined {
  const bots = clicks - qualified;
  if (clicks <= 0 || bots * 5 < clicks) return undefined;
  return bots * 5 <= clicks * 2 ? 'bot_ratio_20_40' : 'bot_ratio_over_40';
}

function isStale(input: ConfidenceInput): boolean {
  if (input.status !== 'ACTIVE' || input.clicks <= 0 || input.lastClickAt == null) return false;
  const last = new Date(input.lastClickAt).getTime();
  return Number.isFinite(last) && input.now.getTime() - last > STALE_AFTER_MS;
}

/** Integer 0..100; today's penalties sum to at most 75 (bots, conversions, stale, low volume), the clamp keeps future ones in range. */
export function clampScore(score: number): number {
  return Math.max(0, Math.min(100, Math.round(score)));
}

export function confidence(input: ConfidenceInput): Confidence {
  const reasons: ConfidenceReason[] = [];
  const bot = botReason(input.clicks, input.qualifiedClicks);
  if (bot) reasons.push(bot);
  if (input.conversions > input.qualifiedClicks) reasons.push('conversions_exceed_qualified_clicks');
  // Without a qualified click, one real visit flagged as a bot that bought (a headless browser) is no sign of posting
  // without visits: only more than 3 conversions are.
  if (input.conversions > Math.max(1, input.qualifiedClicks) * IMPLAUSIBLE_CONVERSIONS_PER_CLICK) reasons.push('implausible_conversions_per_click');
  if (isStale(input)) reasons.push('stale_data');
  if (input.clicks < LOW_VOLUME_CLICKS) reasons.push('low_volume');
  const score = reasons.reduce((s, r) => s - PENALTIES[r], 100);
  return { score: clampScore(score), reasons };
}

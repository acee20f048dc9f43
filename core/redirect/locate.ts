import type { ClickFacts } from '../plugins/index.ts';
import type { CtxClaims, CtxCodec } from './ctx-token.ts';
import { appendCtx, chooseDestination, takeConditionErrors, type CompiledRules, type ConditionError } from './routing.ts';

/** Where one click goes: the chosen destination, and the Location with the signed ctx appended. */
export interface Located {
  destination: string;
  location: string;
  /** Plugin conditions that threw while this click was matched (their rules did not apply). */
  conditionErrors?: ConditionError[];
}

/** Rule matching + ctx signing: the work that runs inline or in a piscina worker (same function). */
export function locate(
  rules: CompiledRules,
  fallbackUrl: string,
  facts: ClickFacts,
  ctxParam: string,
  codec: CtxCodec,
  claims: CtxClaims,
): Located {
  return locatedAt(chooseDestination(rules, fallbackUrl, facts), ctxParam, codec, claims);
}

/** The answer for a destination chosen just now: its Location, and any plugin condition that threw choosing it. */
export function locatedAt(destination: string, ctxParam: string, codec: CtxCodec, claims: CtxClaims): Located {
  const located: Located = { destination, location: appendCtx(destination, ctxParam, codec.sign(claims)) };
  const errors = takeConditionErrors();
  if (errors) located.conditionErrors = errors;
  return located;
}

// Semantic checks of a campaign beyond its request schema: http(s) destinations without userinfo, the goal type's
// extra routing-condition kinds, and the goal type's own validateCampaign().
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from '../http/errors.ts';
import { compile, toDetails } from '../http/validate.ts';
import type { CampaignDraft, GoalTypePlugin, JsonSchema } from '../plugins/index.ts';
import { routingRulesSchema } from './routing-rules.ts';
import { destinationProblem } from './destination.ts';
import { moneyText } from '../commissions/index.ts';

// Compiled once per goal type (built-ins plus its condition kinds), reused for every request.
const rulesValidators = new WeakMap<object, ValidateFunction>();
const NO_GOAL = {};

function rulesValidator(goal: GoalTypePlugin | undefined): ValidateFunction {
  const key = goal ?? NO_GOAL;
  let validate = rulesValidators.get(key);
  if (!validate) {
    const extra: Record<string, JsonSchema> = {};
    for (const [kind, cond] of Object.entries(goal?.conditions ?? {})) extra[kind] = cond.schema;
    validate = compile(routingRulesSchema(extra), false);
    rulesValidators.set(key, validate);
  }
  return validate;
}

function rulesProblems(rules: CampaignDraft['routingRules'], validate: ValidateFunction, pointer: string): ErrorDetail[] {
  if (!validate(rules)) return toDetails(validate.errors, pointer);
  return rules.flatMap((rule, i) => destinationProblem(rule.destinationUrl, `${pointer}/${i}/destinationUrl`) ?? []);
}

/** Every problem of a complete campaign draft, as details by JSON pointer under /body. */
export function campaignProblems(
  draft: CampaignDraft,
  goal: GoalTypePlugin | undefined,
  settings: Record<string, unknown>,
  pointers: { destinationUrl: string; routingRules: string },
  /** false: the rules are the stored ones, unchanged by this request (rules stored before a check grew stricter stay patchable). */
  checkRules = true,
): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  const primary = destinationProblem(draft.primaryLink.destinationUrl, pointers.destinationUrl);
  if (primary) problems.push(primary);
  if (checkRules) problems.push(...rulesProblems(draft.routingRules, rulesValidator(goal), pointers.routingRules));
  if (problems.length === 0 && goal?.validateCampaign) problems.push(...goalProblems(goal, draft, settings));
  return problems;
}

/**
 * The goal type's own checks. Its code is a plugin's: one that throws or answers something other than a
 * list of messages refuses the campaign with a detail that says so (a 400 the integrator can act on), not a 500.
 */
function goalProblems(goal: GoalTypePlugin, draft: CampaignDraft, settings: Record<string, unknown>): ErrorDetail[] {
  try {
    const messages: unknown = goal.validateCampaign!(draft, settings);
    if (messages instanceof Promise) {
      messages.catch(() => {}); // an async one's later rejection must not be unhandled (it would end the process)
      throw new TypeError('validateCampaign() returned a Promise: it must return the array of messages itself');
    }
    if (!Array.isArray(messages)) throw new TypeError('validateCampaign() did not return an array of messages');
    return messages.map((message) => ({ pointer: '/body', message: String(message).slice(0, 500) }));
  } catch (err) {
    return [{ pointer: '/body', message: `the goal type ${goal.name} could not check this campaign: ${String((err as Error)?.message ?? err).slice(0, 200)}` }];
  }
}

/** maxConversionValue is money like the values it bounds: at most 2 fraction digits (numeric(14, 2) would round a third). */
export function maxValueProblems(value: number | null | undefined): ErrorDetail[] {
  if (value === null || value === undefined || moneyText(value) !== null) return [];
  return [{ pointer: '/body/maxConversionValue', message: 'must have at most 2 fraction digits' }];
}

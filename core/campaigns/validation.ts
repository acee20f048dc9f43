// Semantic checks of a campaign beyond its request schema: http(s) destinations without userinfo, the goal type's
// extra routing-condition kinds, and the goal type's own validateCampaign().
import type { ValidateFunction } from 'ajv';
import type { ErrorDetail } from '../http/errors.ts';
import { compile, toDetails } from '../http/validate.ts';
import type { CampaignDraft, GoalTypePlugin, HandlePlugins, JsonSchema, PluginHost } from '../plugins/index.ts';
import { routingRulesSchema } from './routing-rules.ts';
import { canonicalRules, canonicalUrl, destinationProblem } from './destination.ts';
import { centsProblems } from '../commissions/index.ts';

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

// A rule's destination is checked even when another of its fields fails the schema: one answer names both.
function rulesProblems(rules: CampaignDraft['routingRules'], validate: ValidateFunction, pointer: string): ErrorDetail[] {
  const problems = validate(rules) ? [] : toDetails(validate.errors, pointer);
  if (!Array.isArray(rules)) return problems;
  const destinations = rules.flatMap((rule, i) =>
    typeof rule?.destinationUrl === 'string' ? (destinationProblem(rule.destinationUrl, `${pointer}/${i}/destinationUrl`) ?? []) : [],
  );
  return [...problems, ...destinations.filter((d) => !problems.some((p) => p.pointer === d.pointer))];
}

/** Why a goal type cannot make a campaign of this handle (not enabled, or its tracking preset is not), or null. */
export function goalTypeProblem(plugins: HandlePlugins, goalType: string): ErrorDetail | null {
  const goal = plugins.goalType(goalType);
  if (!goal) return { pointer: '/body/goalType', message: `"${goalType}" is not a goal type enabled for this handle` };
  const preset = goal.manifest.trackingPreset;
  if (!plugins.trackingPreset(preset)) return { pointer: '/body/goalType', message: `its tracking preset "${preset}" is not enabled for this handle` };
  return null;
}

type Loose = Record<string, unknown> | null | undefined;
const asObject = (value: unknown): Loose => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null);

/**
 * The checks beyond the schema, for the fields of a body that failed its schema that still have their type (a POST's
 * goal type, destinations, routing rules and maximum value; a PATCH's destination and maximum value, its rules being
 * judged by the stored goal type): so one 400 lists every failing field (API.md: `details` lists each failing field),
 * not the schema's alone and these after a fix. The route's handler still makes every check itself.
 */
export async function looseCampaignProblems(body: unknown, handle: string, pluginHost: PluginHost, kind: 'create' | 'patch'): Promise<ErrorDetail[]> {
  const fields = asObject(body);
  if (!fields) return [];
  const problems: ErrorDetail[] = [];
  const primary = kind === 'create' ? asObject(fields.primaryLink)?.destinationUrl : fields.destinationUrl;
  const primaryPointer = kind === 'create' ? '/body/primaryLink/destinationUrl' : '/body/destinationUrl';
  const destination = typeof primary === 'string' ? destinationProblem(canonicalUrl(primary), primaryPointer) : null;
  if (destination) problems.push(destination);
  // maxConversionValue is money like the values it bounds: at most 2 fraction digits (numeric(14, 2) would round a third).
  problems.push(...centsProblems(fields, 'maxConversionValue'));
  if (kind === 'create' && typeof fields.goalType === 'string') {
    const plugins = await pluginHost.forHandle(handle);
    const refused = goalTypeProblem(plugins, fields.goalType);
    if (refused) problems.push(refused);
    const goal = plugins.goalType(fields.goalType);
    if (goal && !refused && Array.isArray(fields.routingRules)) {
      problems.push(...rulesProblems(canonicalRules(fields.routingRules as CampaignDraft['routingRules']), rulesValidator(goal.manifest), '/body/routingRules'));
    }
  }
  return problems;
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

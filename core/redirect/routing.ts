// Routing rules (docs/architecture.md "The hot path"): validated on write by their JSON schema
// (core/campaigns/routing-rules.ts), compiled once per campaign version, then matched on every click
// without allocating.
import type { CampaignDraft, ClickFacts, ConditionKind } from '../plugins/index.ts';
import { wwwTwin } from '../infra/www-twin.ts';

export type RoutingRule = CampaignDraft['routingRules'][number];

/** One rule, ready to match: each built-in condition is a Set (null when absent). */
export interface CompiledRule {
  readonly priority: number;
  readonly destinationUrl: string;
  readonly sources: ReadonlySet<string> | null;
  readonly countries: ReadonlySet<string> | null;
  readonly devices: ReadonlySet<string> | null;
  readonly languages: ReadonlySet<string> | null;
  readonly extra: readonly { readonly name: string; readonly kind: ConditionKind; readonly value: unknown }[];
  /** A condition this process cannot evaluate (plugin gone, malformed value): the rule never matches. */
  readonly unusable: boolean;
}

export interface CompiledRules {
  /** Sorted by priority, ties in the order given. */
  readonly rules: readonly CompiledRule[];
  readonly cost: number;
}

function stringSet(value: unknown, normalize: (s: string) => string): Set<string> | null {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) return null;
  return new Set(value.map(normalize));
}

const lower = (s: string) => s.toLowerCase();
const upper = (s: string) => s.toUpperCase();
const same = (s: string) => s;

function compileRule(rule: RoutingRule, extraKinds: Record<string, ConditionKind>): { compiled: CompiledRule; entries: number } {
  let sources: Set<string> | null = null;
  let countries: Set<string> | null = null;
  let devices: Set<string> | null = null;
  let languages: Set<string> | null = null;
  const extra: { name: string; kind: ConditionKind; value: unknown }[] = [];
  let unusable = false;
  let entries = 0;
  for (const [name, value] of Object.entries(rule.conditions ?? {})) {
    let set: Set<string> | null = null;
    if (name === 'sourceIn') set = sources = stringSet(value, lower);
    else if (name === 'countryIn') set = countries = stringSet(value, upper);
    else if (name === 'deviceIn') set = devices = stringSet(value, same);
    else if (name === 'languageIn') set = languages = stringSet(value, lower);
    else if (Object.hasOwn(extraKinds, name)) {
      extra.push({ name, kind: extraKinds[name], value });
      entries += Array.isArray(value) ? value.length : 1;
      continue;
    } else {
      unusable = true;
      continue;
    }
    if (set) entries += set.size;
    else unusable = true;
  }
  const compiled = { priority: rule.priority, destinationUrl: rule.destinationUrl, sources, countries, devices, languages, extra, unusable };
  return { compiled, entries };
}

/** Compiles a campaign's rules once: sorted by priority (stable), conditions as Sets. */
export function compileRules(rules: readonly RoutingRule[], extraKinds: Record<string, ConditionKind> = {}): CompiledRules {
  let cost = 0;
  const compiled = rules.map((rule) => {
    const { compiled: c, entries } = compileRule(rule, extraKinds);
    cost += 1 + entries;
    return c;
  });
  // Array.prototype.sort is stable since ES2019: equal priorities keep the order given.
  compiled.sort((a, b) => a.priority - b.priority);
  return { rules: compiled, cost };
}

/** A rough work estimate for matching one click: one per rule plus one per condition entry. */
export function ruleCost(compiled: CompiledRules): number {
  return compiled.cost;
}

/** A plugin condition that threw while a click was matched: its rule did not apply. */
export interface ConditionError {
  condition: string;
  message: string;
}

// What threw during the last chooseDestination() of this thread, for the caller to take (takeConditionErrors): the
// redirect logs and counts it, the offload worker hands it back with its answer. Only a throw writes here.
const thrown: ConditionError[] = [];

/** The conditions that threw since the last call (undefined when none did, as almost always). */
export function takeConditionErrors(): ConditionError[] | undefined {
  return thrown.length > 0 ? thrown.splice(0) : undefined;
}

function extraHolds(name: string, kind: ConditionKind, value: unknown, click: ClickFacts): boolean {
  try {
    return kind.matches(value, click) === true;
  } catch (err) {
    // A throwing plugin condition must not break a redirect: the rule just does not apply. It was silent, so a plugin
    // author had no way to see a broken condition (an integrator's pass): now it is logged and counted by the caller.
    if (thrown.length < 16) thrown.push({ condition: name, message: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

function ruleMatches(rule: CompiledRule, click: ClickFacts, source: string): boolean {
  if (rule.unusable) return false;
  // www.site.com and site.com are one source to a rule (core/infra/www-twin.ts).
  if (rule.sources && !rule.sources.has(source) && !rule.sources.has(wwwTwin(source))) return false;
  if (rule.countries && !rule.countries.has(click.country)) return false;
  if (rule.devices && !rule.devices.has(click.device)) return false;
  // The visitor's language is the one it prefers most: `en-US, de;q=0.1` reads English, and is not sent to the German page.
  if (rule.languages && !(click.languages.length > 0 && rule.languages.has(click.languages[0]))) return false;
  for (const { name, kind, value } of rule.extra) if (!extraHolds(name, kind, value, click)) return false;
  return true;
}

/** The destination of the first rule whose conditions all hold, else the fallback (the primary link). */
export function chooseDestination(compiled: CompiledRules, fallbackUrl: string, click: ClickFacts): string {
  if (compiled.rules.length === 0) return fallbackUrl;
  const source = click.source.toLowerCase();
  for (const rule of compiled.rules) if (ruleMatches(rule, click, source)) return rule.destinationUrl;
  return fallbackUrl;
}

/** Whether one `name=value` pair is named `param` (the name is decoded only when it needs to be). */
function isPairNamed(pair: string, param: string): boolean {
  const eq = pair.indexOf('=');
  const name = eq < 0 ? pair : pair.slice(0, eq);
  if (name === param) return true;
  if (!name.includes('%') && !name.includes('+')) return false;
  try {
    return decodeURIComponent(name.replace(/\+/g, ' ')) === param;
  } catch {
    return false;
  }
}

const URI_SAFE = /^[A-Za-z0-9_.~-]*$/;

// ctx tokens are URL-safe already: skip encodeURIComponent's work for them.
function uriComponent(value: string): string {
  return URI_SAFE.test(value) ? value : encodeURIComponent(value);
}

/**
 * Adds `param=token` to the destination's query. The destination's own query is kept byte for byte
 * (URLSearchParams would re-encode it), a pair of the same name is replaced, the fragment stays last.
 */
export function appendCtx(destinationUrl: string, param: string, token: string): string {
  const hashAt = destinationUrl.indexOf('#');
  const fragment = hashAt < 0 ? '' : destinationUrl.slice(hashAt);
  const beforeHash = hashAt < 0 ? destinationUrl : destinationUrl.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt < 0 ? beforeHash : beforeHash.slice(0, queryAt);
  const added = `${uriComponent(param)}=${uriComponent(token)}`;
  const query = queryAt < 0 ? '' : beforeHash.slice(queryAt + 1);
  if (!query) return `${base}?${added}${fragment}`;
  // Only a pair containing the name, '%' or '+' can be named `param`: otherwise skip the split.
  if (!query.includes(param) && !query.includes('%') && !query.includes('+')) {
    return `${beforeHash}${query.endsWith('&') ? '' : '&'}${added}${fragment}`;
  }
  const kept = query.split('&').filter((pair) => pair !== '' && !isPairNamed(pair, param));
  kept.push(added);
  return `${base}?${kept.join('&')}${fragment}`;
}

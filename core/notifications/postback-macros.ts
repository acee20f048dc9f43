// Postback URL templates: the affiliate trackers' macros ({click_id}, {amount}, …), checked when a
// partner saves a template and expanded, URL-encoded, once per event when its delivery is created.

export const POSTBACK_MACROS = [
  'click_id', 'conversion_id', 'campaign_id', 'partner_id', 'event_type', 'status', 'amount', 'value', 'currency',
  'sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'country', 'occurred_at',
] as const;
export type PostbackMacro = (typeof POSTBACK_MACROS)[number];
export type MacroValues = Partial<Record<PostbackMacro, string | null>>;

const KNOWN = new Set<string>(POSTBACK_MACROS);
// A macro is a brace pair around a name; anything else in braces is named as unknown, never sent literally.
const MACRO = /\{([^{}]*)\}/g;

/** The distinct names in braces that are not macros, in order of appearance. */
export function unknownMacros(template: string): string[] {
  const unknown = new Set<string>();
  for (const m of template.matchAll(MACRO)) if (!KNOWN.has(m[1])) unknown.add(m[1]);
  return [...unknown];
}

/** True when a brace is left once the macros are taken out (`{amount`, `}`): a macro the partner mistyped, sent literally. */
export const hasStrayBrace = (template: string) => /[{}]/.test(template.replace(MACRO, ''));

/** Replaces every macro with its URL-encoded value; a value the event does not have becomes empty. */
export function expandTemplate(template: string, values: MacroValues): string {
  return template.replace(MACRO, (_, name: string) => encodeURIComponent(values[name as PostbackMacro] ?? ''));
}

/** The template as the SSRF guard checks it at creation: each macro stands for a harmless word. */
export const sampleUrl = (template: string) => template.replace(MACRO, 'x');

const LITERAL_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\{}]*(?:[/?#]|$)/i;

/**
 * The scheme and host never come from an event: a click's sub-ID must not pick the server we call. So the
 * template spells out `scheme://host[:port]` with no macro or backslash before its path (the WHATWG parser
 * also reads `http:/{sub1}:9711/x`, `http:{sub1}/x` or `http:\\{sub1}/x` with the macro as the host), and two
 * unlike expansions reach the same scheme and host. False also for a template that is not a URL.
 */
export function authorityIsLiteral(template: string): boolean {
  return LITERAL_AUTHORITY.test(template) && !macroReachesHost(template);
}

/** Whether a macro's value could change the scheme or host a URL parser reads from the template (or it is no URL). */
export function macroReachesHost(template: string): boolean {
  try {
    const [a, b] = [template.replace(MACRO, 'a'), template.replace(MACRO, 'b-0')].map((u) => new URL(u));
    return a.protocol !== b.protocol || a.host !== b.host;
  } catch {
    return true;
  }
}

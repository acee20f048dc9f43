// Text a plugin answered (a bot reason, a segment, a channel's error) as the kernel stores it. Plugin code
// is not validated like a request body: a non-string is none, and control characters are dropped (U+0000
// above all: PostgreSQL refuses it, and with it a whole batch of other handles' rows).

// eslint-disable-next-line no-control-regex -- control characters are exactly what must go
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- the same, every one
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/** The text without control characters, cut to `max`; undefined for a non-string or nothing left. */
export function pluginText(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  return (CONTROL.test(value) ? value.replace(CONTROLS, '') : value).slice(0, max) || undefined;
}

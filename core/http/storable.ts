// What JSON allows but PostgreSQL cannot store: U+0000 in text or jsonb, lone UTF-16 surrogates
// (invalid UTF-8), a number beyond a double (JSON.parse makes 1e400 Infinity, which JSON.stringify
// writes as null), and nesting deep enough to overflow a recursive walk. Checked on every request's
// path, query and body before validation, so such input is a 4xx, never a 500 from the database (a 400; in a path
// that is not a PUT's, a 404: no resource can have such an id, core/http/router.ts).
import { invalidRequest } from './errors.ts';

/** Deeper than any body of this API needs; JSON.parse accepts far more, a recursive walk would not. */
export const MAX_DEPTH = 64;

type Problem = { pointer: string; message: string };

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A field name as one JSON Pointer token (RFC 6901: ~ is ~0, / is ~1), as ajv writes instancePath. */
export const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function stringProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain U+0000';
  if (LONE_SURROGATE.test(s)) return 'must be well-formed Unicode (no lone surrogates)';
  return null;
}

/** Where a value sits, as its parent's place and its own key or index: the pointer string is built only for a problem. */
interface Place {
  parent: Place | null;
  token: string | number;
}

function pointerOf(root: string, place: Place | null): string {
  const tokens: string[] = [];
  for (let p = place; p; p = p.parent) tokens.push(typeof p.token === 'number' ? String(p.token) : escapePointer(p.token));
  return tokens.length === 0 ? root : `${root}/${tokens.reverse().join('/')}`;
}

/** The first part of `value` PostgreSQL could not store, with its JSON pointer under `root`; null when all is storable. */
export function unstorable(value: unknown, root: string): Problem | null {
  // Iterative, so a 10,000-level body costs a loop, not a stack overflow. Every request's body passes here: places are
  // kept as links and written as pointers only for the problem found (a pointer string per field was most of its cost).
  const stack: [unknown, Place | null, number][] = [[value, null, 0]];
  while (stack.length > 0) {
    const [v, place, depth] = stack.pop()!;
    if (typeof v === 'string') {
      const message = stringProblem(v);
      if (message) return { pointer: pointerOf(root, place), message };
      continue;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return { pointer: pointerOf(root, place), message: 'must be a finite number (beyond ±1.8e308 is not)' };
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) return { pointer: pointerOf(root, place), message: `must not nest deeper than ${MAX_DEPTH} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { parent: place, token: i }, depth + 1]);
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      const at: Place = { parent: place, token: k };
      const keyProblem = stringProblem(k);
      if (keyProblem) return { pointer: pointerOf(root, at), message: `key ${keyProblem}` };
      stack.push([x, at, depth + 1]);
    }
  }
  return null;
}

/** Throws 400 invalid_request naming the field when `value` holds something PostgreSQL cannot store. */
export function assertStorable(value: unknown, root: string, what: string): void {
  const problem = unstorable(value, root);
  if (problem) throw invalidRequest(`The ${what} is invalid.`, [problem]);
}

import Router from '@koa/router';
import { asFunction, asValue, Lifetime, type AwilixContainer } from 'awilix';
import type { Pool } from 'pg';
import type { Context } from 'koa';
import type { Orm } from '../db/orm.ts';
import { authenticate } from './auth.ts';
import { readJsonBody } from './body.ts';
import { memoizeMatch } from './match-memo.ts';
import { HttpError, invalidRequest } from './errors.ts';
import { assertStorable } from './storable.ts';
import { check, compile, isNothing } from './validate.ts';
import type { RouteDef, RequestScope } from './route.ts';

const once = <T>(make: () => T): (() => T) => {
  let made: T | undefined;
  return () => (made ??= make());
};

const toKoaPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * Mounts route definitions: per request auth, then the route's beforeBody check (if any), then the JSON body, then ajv
 * validation of params, query and body, then a scoped container (principal, lazy MikroORM fork) for the handler.
 */
export function buildRouter(routes: RouteDef[], container: AwilixContainer): Router {
  const router = new Router();
  const orm = container.resolve<Orm>('orm');
  const pg = container.resolve<Pool>('pg');
  const adminToken = container.resolve<{ adminToken: string }>('config').adminToken;
  // What a route without a request scope gets: singletons only; anything else (principal, em, a scoped service,
  // which the root container would otherwise resolve once and share between requests) throws.
  // Each is resolved once: awilix's resolve() walks its resolution stack on every call (~3 % of a conversion's CPU).
  const resolved = new Map<string, unknown>();
  const singletons = new Proxy({} as RequestScope, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      if (resolved.has(name)) return resolved.get(name);
      // A value registered on the root (asValue: pg, config, …) is one for every request, like a singleton.
      // asValue's resolve takes no container; an alias (aliasTo, also without a lifetime) takes one and may
      // name a scoped service, so it is refused.
      const registration = container.getRegistration(name) as { lifetime?: string; resolve: (c: unknown) => unknown } | null;
      const rootValue = registration?.lifetime === undefined && registration?.resolve.length === 0;
      if (!rootValue && registration?.lifetime !== Lifetime.SINGLETON) {
        throw new Error(`a route without a request scope read "${name}", which is not a singleton`);
      }
      const value = container.resolve(name);
      resolved.set(name, value);
      return value;
    },
  });
  // Made once: asFunction() parses its function's source for dependencies on every call (with the
  // scope's creation and dispose, ~10 % of a small request's CPU in a --cpu-prof). Scoped: each request's
  // scope caches its own fork. Nothing registered has a disposer, so a scope is left to the GC, not disposed.
  const em = asFunction(() => orm.em.fork()).scoped();
  for (const def of routes) {
    // Compiled on a route's first request, not at start: compiling every route's schemas was ~15 %
    // of a start's CPU (ajv, measured with --cpu-prof on an embedded restart).
    const { params, query, body } = def;
    const validators = {
      params: params && once(() => compile(params, true)),
      query: query && once(() => compile({ type: 'object', additionalProperties: false, ...query }, true)),
      body: body && once(() => compile(body, false)),
    };
    const ids = (schema: unknown) => ({ ids: propertyNames(schema, isId), lists: propertyNames(schema, isIdList), unique: propertyNames(schema, isUniqueIdList) });
    const uuids = { params: ids(params), query: ids(query), body: ids(body) };
    const integers = propertyNames(query, isInteger);
    const singles = propertyNames(query, (p) => !isList(p));
    const nullable = def.nullMeansAbsent?.length ? optionalNotNullable(body, def.nullMeansAbsent) : null;
    const method = def.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    router[method](toKoaPath(def.path), async (ctx: Context) => {
      const principal = await authenticate(ctx, def.auth, pg, adminToken);
      if (def.beforeBody) await def.beforeBody(ctx, singletons);
      await readJsonBody(ctx);
      // Only what a route declares is checked: the redirect reads its path and query itself.
      if (validators.params) {
        assertPathNames(ctx.params, validators.params, def.method !== 'PUT');
        lowercaseIds(ctx.params, uuids.params, '/params');
      }
      const query = { ...ctx.query };
      if (validators.query) {
        assertStorable(query, '/query', 'query string');
        assertOnce(query, singles);
        assertDigits(query, integers);
        check(validators.query(), query, '/query', 'query string');
        lowercaseIds(query, uuids.query, '/query');
      }
      ctx.state.query = query;
      let body = (ctx.request as { body?: unknown }).body;
      // No body where every field is optional is the empty object (POST …/mark-paid with nothing to say).
      if (body === undefined && def.body && !(def.body as { required?: unknown[] }).required?.length) body = (ctx.request as { body?: unknown }).body = {};
      if (validators.body) {
        if (nullable) dropNulls(body, nullable);
        assertStorable(body, '/body', 'request body');
        try {
          check(validators.body(), body, '/body', 'request body');
        } catch (err) {
          throw def.moreBodyProblems ? await withMoreProblems(err, def, body, ctx, singletons) : err;
        }
        if (body && typeof body === 'object') lowercaseIds(body as Record<string, unknown>, uuids.body, '/body');
      } else if (!isNothing(body)) {
        // An action route (ping, rotate-secret, redeliver): a field sent here would be silently ignored.
        throw invalidRequest('This route takes no request body (send none, or {}).', [{ pointer: '/body', message: 'must be absent or {}' }]);
      }
      if (def.requestScope === false) return def.handler(ctx, singletons);
      const scope = container.createScope();
      // The MikroORM fork is made only if a service of this request asks for it (it costs ~11 % of a request).
      scope.register({ em, principal: asValue(principal), container: asValue(scope) });
      await def.handler(ctx, scope.cradle as RequestScope);
    });
  }
  return memoizeMatch(router);
}

/** A failed body check's error with the route's own problems of the fields still usable (RouteDef.moreBodyProblems). */
async function withMoreProblems(err: unknown, def: RouteDef, body: unknown, ctx: Context, singletons: RequestScope): Promise<unknown> {
  if (!(err instanceof HttpError) || !err.details) return err;
  // The route's checks failing (its plugins unreadable) leave the schema's answer as it was: still a 400, never a 500.
  const found = await Promise.resolve()
    .then(() => def.moreBodyProblems!(body, ctx, singletons))
    .catch(() => []);
  const listed = err.details.map((d) => d.pointer);
  // A field the schema already refused, or one inside a refused one, is not said twice.
  const more = found.filter((d) => !listed.some((p) => d.pointer === p || d.pointer.startsWith(`${p}/`)));
  return more.length ? new HttpError(err.status, err.code, err.message, [...err.details, ...more], err.headers) : err;
}

/**
 * A path names a resource: one whose id cannot exist (`webhooks/nope`, `campaigns/NOPE`, a `urn:uuid:` form) is not
 * found, as an unknown well-formed id is (API.md: 404 `not_found`; the contract never gives ids a format, so a
 * client cannot tell a malformed id from an unknown one). The details still say which segment and why. A PUT creates
 * what its path names (a reward rule's id is the client's choice): a malformed one there is the client's input, 400.
 */
function assertPathNames(params: Record<string, unknown>, validator: () => Parameters<typeof check>[0], notFoundIfBad: boolean): void {
  try {
    assertStorable(params, '/params', 'path');
    check(validator(), params, '/params', 'path');
  } catch (err) {
    if (!notFoundIfBad || !(err instanceof HttpError) || err.status !== 400) throw err;
    throw new HttpError(404, 'not_found', 'Nothing is found at this path: it names no resource that can exist.', err.details);
  }
}

type PropertySchema = { format?: string; type?: string | string[]; items?: { format?: string }; uniqueItems?: boolean };

/** The names of a schema's top-level properties that `test` picks (ids, lists of ids, integers). */
function propertyNames(schema: unknown, test: (property: PropertySchema) => boolean): string[] {
  const properties = (schema as { properties?: Record<string, PropertySchema> } | undefined)?.properties ?? {};
  return Object.keys(properties).filter((name) => test(properties[name] ?? {}));
}
const isId = (p: PropertySchema) => p.format === 'uuid';
const isIdList = (p: PropertySchema) => p.items?.format === 'uuid';
const isUniqueIdList = (p: PropertySchema) => isIdList(p) && p.uniqueItems === true;
const isInteger = (p: PropertySchema) => [p.type].flat().includes('integer');
const isList = (p: PropertySchema) => [p.type].flat().includes('array');

/**
 * An id in capitals is the same id to PostgreSQL, but it was echoed as given, into answers and audit events
 * (`subjectId` of a revoked token), where it no longer matched the id tenx returns; a bulk move matched its ids
 * as strings and answered 404 for one in capitals: ids go on lower-cased.
 */
function lowercaseIds(values: Record<string, unknown>, { ids, lists, unique }: { ids: string[]; lists: string[]; unique: string[] }, root: string): void {
  const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
  for (const name of ids) if (typeof values[name] === 'string') values[name] = lower(values[name]); // absent stays absent
  for (const name of lists) if (Array.isArray(values[name])) values[name] = (values[name] as unknown[]).map(lower);
  // uniqueItems compared the text as sent: the same id in capitals passed, and a bulk move then moved it twice.
  for (const name of unique) {
    const list = values[name];
    if (!Array.isArray(list)) continue;
    const first = new Map<unknown, number>();
    list.forEach((id, i) => {
      const j = first.get(id);
      if (j !== undefined) throw invalidRequest(`The ${root === '/body' ? 'request body' : 'query string'} is invalid.`, [{ pointer: `${root}/${name}`, message: `must NOT have duplicate items (items ## ${i} and ${j} are the same id)` }]);
      first.set(id, i);
    });
  }
}

/**
 * Of the fields a route names (RouteDef.nullMeansAbsent), the optional ones whose schema does not take null: sent as
 * null, such a field is taken as not sent. Answers print an absent `expiresAt`, `value` or `currency` as null, and a
 * client echoing one back (`{"expiresAt": null}`) got 400 "must be string". A required field stays required.
 */
function optionalNotNullable(schema: unknown, names: readonly string[]): Set<string> {
  const { properties = {}, required = [] } = (schema ?? {}) as { properties?: Record<string, PropertySchema & { enum?: unknown[] }>; required?: string[] };
  const takesNull = (p: PropertySchema & { enum?: unknown[] }) => [p.type].flat().includes('null') || (p.enum?.includes(null) ?? false);
  const unknown = names.filter((name) => !(name in properties) || required.includes(name));
  if (unknown.length) throw new Error(`nullMeansAbsent names ${unknown.join(', ')}: not an optional field of the route's body`);
  return new Set(names.filter((name) => !takesNull(properties[name])));
}

function dropNulls(body: unknown, names: Set<string>): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return;
  for (const name of names) if ((body as Record<string, unknown>)[name] === null) delete (body as Record<string, unknown>)[name];
}

/** `?limit=1&limit=2` is a list of two: "must be integer" named the wrong mistake. */
function assertOnce(query: Record<string, unknown>, names: string[]): void {
  const repeated = names.filter((name) => Array.isArray(query[name]));
  if (repeated.length) {
    throw invalidRequest('The query string is invalid.', repeated.map((name) => ({ pointer: `/query/${name}`, message: 'must be given once' })));
  }
}

/**
 * ajv's coercion takes any string JavaScript reads as a whole number: `limit=0x2`, `0b10`, `2e0`, `+2` and ` 2` were
 * 2. An integer in a query string is written in decimal digits (a minus sign allowed, for the range check to refuse).
 */
function assertDigits(query: Record<string, unknown>, names: string[]): void {
  const bad = names.filter((name) => typeof query[name] === 'string' && !/^-?\d+$/.test(query[name] as string));
  if (bad.length) {
    throw invalidRequest('The query string is invalid.', bad.map((name) => ({ pointer: `/query/${name}`, message: 'must be an integer in decimal digits' })));
  }
}

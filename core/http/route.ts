import type { Context } from 'koa';
import type { AwilixContainer } from 'awilix';
import type { JsonSchema } from '../plugins/index.ts';
import type { ErrorDetail } from './errors.ts';

/** Scopes of handle tokens (v2, then v2.1's partner programs and audit.read). Owner and admin hold all. */
export const SCOPES = [
  'campaigns.read', 'campaigns.write', 'analytics.read', 'webhooks.read', 'webhooks.write',
  'notifications.read', 'tokens.write', 'plugins.read', 'plugins.write',
  'partners.read', 'partners.write', 'conversions.read', 'conversions.write',
  'commissions.read', 'commissions.write', 'payouts.read', 'payouts.write', 'audit.read',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes of partner tokens (`tenx_ptk_`), valid only on the partner realm. */
export const PARTNER_SCOPES = ['partner.read', 'partner.postbacks.write'] as const;
export type PartnerScope = (typeof PARTNER_SCOPES)[number];

/**
 * Who may call a route: anyone, the operator's admin token, any valid token of the path's handle
 * (`token`: no scope needed, e.g. asking what the token itself may do), a PAT with a scope, or a
 * partner token with a partner scope (the partner realm, `/v2/handles/{handle}/partner/...`).
 */
export type RouteAuth = 'public' | 'admin' | 'token' | { scope: Scope } | { partner: PartnerScope };

export interface Principal {
  kind: 'admin' | 'token' | 'partner' | 'public';
  /** Token id, `admin`, or `public`: what audit events record as the actor. */
  actor: string;
  handle?: string;
  /** The partner a partner token speaks for (kind `partner` only): realm queries are scoped to it. */
  partnerId?: string;
  scopes: readonly string[];
  /** SHA-256 of the secret presented (PATs and partner tokens): what a long-lived answer re-checks, since rotation keeps the id. */
  tokenHash?: string;
}

/**
 * One documented answer of a route. A schema with a `title` becomes a named component of the
 * OpenAPI document; error statuses (>= 400) get the `Error` body unless their schema is named.
 */
export interface RouteResponse {
  description: string;
  schema?: JsonSchema;
  contentType?: string;
  /** Other media types the same status may answer with (e.g. NDJSON beside CSV, chosen by a query parameter), each with its schema. */
  alternatives?: Record<string, JsonSchema>;
  /** Response headers by name (e.g. Location on a redirect). */
  headers?: Record<string, { description: string; schema?: JsonSchema }>;
}

/** One HTTP route: its schemas drive validation and the OpenAPI document, its auth the matrix test. */
export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  summary: string;
  /** The name generated clients use; derived from method and path when absent (core/http/openapi-operation.ts). */
  operationId?: string;
  tags?: string[];
  auth: RouteAuth;
  /** A public route that also reads a bearer token when one is sent (the merchant's on the public conversion route). */
  bearerOptional?: true;
  /** A GET whose HEAD means something of its own (the redirect's: the same answer, no click): its summary in the OpenAPI document. */
  head?: string;
  params?: JsonSchema;
  query?: JsonSchema;
  /** Query parameters the handler reads itself: documented, never validated by the router. */
  documentedQuery?: JsonSchema;
  body?: JsonSchema;
  /**
   * Optional top-level body fields a client may send as null to mean "not sent", as answers print them when absent
   * (`"expiresAt": null`, `"value": null`). Named per route: on a reversal or a payout run, null must not become
   * "all" (a missing `amount` reverses everything), so nowhere else is null taken as absent.
   */
  nullMeansAbsent?: readonly string[];
  /**
   * Status → response. Only what the route adds: 400, 401, 403, 404, 413, 415 and 503 follow from
   * its auth, path and schemas (core/http/openapi-operation.ts); 409, 422 and 429 it declares itself.
   */
  responses?: Record<number, RouteResponse>;
  /**
   * false: the handler reads only singletons, so no request scope is made for it (a scope costs
   * ~16 µs a request; for the public conversion route). Reading anything but a singleton (principal,
   * em, a scoped service) throws, so nothing meant for one request is ever shared.
   */
  requestScope?: false;
  /**
   * Runs after authentication and before the body is read or validated, with the singletons: a check that must
   * hold for malformed and oversized requests too (the public conversion route's per-IP rate limit: a body that
   * fails to parse spends a token, else anyone could make the server parse 64 KiB bodies without limit).
   */
  beforeBody?(ctx: Context, singletons: any): Promise<void>;
  /**
   * The route's checks beyond its body schema (a goal type enabled for the handle, an http(s) destination), asked when
   * the schema check fails, of the fields still usable: the 400 then lists every failing field (API.md: `details` lists
   * each failing field), not the schema's alone and these after a fix. The handler still makes its checks itself.
   */
  moreBodyProblems?(body: unknown, ctx: Context, singletons: any): ErrorDetail[] | Promise<ErrorDetail[]>;
  // The scope is typed by each handler's destructuring: services are resolved by name from the container.
  handler(ctx: Context, scope: any): Promise<void>;
}

/** What a handler gets: the request-scoped container's cradle (services, em, tenant, principal). */
export type RequestScope = Record<string, any> & { principal: Principal; container: AwilixContainer };

export function defineRoutes(routes: RouteDef[]): RouteDef[] {
  return routes;
}

// Answers one short-link request: 302 to the chosen destination with a signed ctx, then (GET only)
// hands the click to the recorder. Used by the fast lane and by the Koa route alike. HEAD gets the
// same 302 (API.md: "HEAD answers the same without recording a click"); its ctx names a click that is
// never stored, and a conversion whose click row is not found is never verified.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { requestIdFrom } from '../http/request-id.ts';
import { LogThrottle } from '../infra/log-throttle.ts';
import type { ClickFacts } from '../plugins/index.ts';
import { clickFacts, type FactsEnv } from './click-facts.ts';
import { newClickId } from './click-id.ts';
import type { ClickRecorder } from './click-recorder.ts';
import type { CtxClaims, CtxCodec } from './ctx-token.ts';
import type { CompiledLink } from './link-cache.ts';
import { locate, locatedAt, type Located } from './locate.ts';
import { redirectCount, redirectDuration, routingConditionErrors, type RedirectLane, type RedirectMode } from './metrics.ts';
import { AUTO_WORKERS_MIN_MATCH_US, createOffloadPool, type OffloadPool } from './offload.ts';
import { chooseDestination, type ConditionError } from './routing.ts';

// `auto` times one click in 16 on links with rules and judges each window of 9 samples by its
// median, so a cold JIT or a GC pause in a few samples cannot move a fast link to the workers.
const SAMPLE_MASK = 15;
const WINDOW = 9;

// Pre-bound metric children, found without building a key string per click: label lookups cost more than the increment itself.
const counters: Partial<Record<RedirectMode, Partial<Record<RedirectLane, { inc(): void }>>>> = {};
const timers: Partial<Record<RedirectMode, (seconds: number) => void>> = {};
function observe(mode: RedirectMode, lane: RedirectLane, seconds: number) {
  const byLane = (counters[mode] ??= {});
  (byLane[lane] ??= redirectCount(mode, lane)).inc();
  (timers[mode] ??= redirectDuration.child(mode))(seconds);
}

/** One request being answered. */
interface Click {
  req: IncomingMessage;
  res: ServerResponse;
  link: CompiledLink;
  lane: RedirectLane;
  rid: string;
  started: number;
  facts: ClickFacts;
  clickId: string;
}

export interface RedirectorOptions {
  config: Config;
  codec: CtxCodec;
  recorder: ClickRecorder;
  facts: FactsEnv;
  log: Logger;
}

export class Redirector {
  private pool: OffloadPool | null = null;
  // A throwing routing condition is logged once a minute per condition (counted every time): a broken one on a busy
  // link would otherwise write a line per click.
  private readonly warnings: LogThrottle;
  private readonly mode: Config['redirectOffload'];

  private readonly opts: RedirectorOptions;
  constructor(opts: RedirectorOptions) {
    this.opts = opts;
    this.mode = opts.config.redirectOffload;
    this.warnings = new LogThrottle(opts.log);
    if (this.mode === 'workers') this.pool = createOffloadPool(opts.config);
  }

  /** Writes the 302 (now, or when the worker answers). requestId: the Koa lane's, else echoed or the clickId. */
  answer(req: IncomingMessage, res: ServerResponse, link: CompiledLink, lane: RedirectLane, requestId?: string): void {
    const started = performance.now();
    const now = Date.now();
    const occurredAt = new Date(now);
    const clickId = newClickId(now);
    const incoming = req.headers['x-request-id'];
    const rid = requestId ?? (incoming ? requestIdFrom(incoming) : clickId);
    const facts = clickFacts(req, link, occurredAt, this.opts.facts);
    const claims: CtxClaims = { clickId, handle: link.handle, campaignId: link.campaignId, issuedAt: occurredAt, windowDays: link.windowDays };
    const click: Click = { req, res, link, lane, rid, started, facts, clickId };
    if (link.offload && this.pool) {
      const task = {
        version: link.version, goalType: link.goalType, rulesJson: link.rulesJson, fallbackUrl: link.destinationUrl,
        ctxParam: link.ctxParam, facts, claims,
      };
      this.pool
        .run(task)
        .then(
          (located) => this.respond(click, located, 'workers'),
          (err) => {
            this.opts.log.warn({ err: (err as Error).message }, 'redirect worker failed; answered inline');
            this.respond(click, this.inline(link, facts, claims), 'inline_fallback');
          },
        )
        .catch((err) => this.fail(res, err));
      return;
    }
    this.respond(click, this.inline(link, facts, claims), 'inline');
  }

  private respond(c: Click, located: Located, mode: RedirectMode): void {
    // The visitor left before a worker answered: no 302 went out, so no click happened.
    if (c.res.destroyed) return;
    // The flat [name, value, ...] form skips Node's per-header object walk.
    c.res.writeHead(302, [
      'location', located.location,
      'cache-control', 'no-store',
      'referrer-policy', 'no-referrer-when-downgrade',
      'content-length', '0',
      'x-request-id', c.rid,
    ]);
    c.res.end();
    observe(mode, c.lane, (performance.now() - c.started) / 1000);
    if (located.conditionErrors) this.conditionsThrew(c.link, located.conditionErrors);
    if (c.req.method === 'GET') this.opts.recorder.record(c.link, c.facts, c.clickId, located.destination);
  }

  private conditionsThrew(link: CompiledLink, errors: ConditionError[]): void {
    for (const { condition, message } of errors) {
      routingConditionErrors.inc({ condition });
      this.warnings.warn(
        `condition:${condition}`,
        { condition, goalType: link.goalType, handle: link.handle, campaignId: link.campaignId, err: message },
        'routing condition threw: its rule did not apply (tenx_routing_condition_errors_total counts each)',
      );
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.opts.log.error({ err }, 'redirect failed');
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('Internal error');
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = null;
  }

  private inline(link: CompiledLink, facts: ClickFacts, claims: CtxClaims): Located {
    if (this.mode !== 'auto' || link.rules.rules.length === 0 || (++link.clicks & SAMPLE_MASK) !== 0) {
      return locate(link.rules, link.destinationUrl, facts, link.ctxParam, this.opts.codec, claims);
    }
    const t = performance.now();
    const destination = chooseDestination(link.rules, link.destinationUrl, facts);
    this.learn(link, (performance.now() - t) * 1000);
    return locatedAt(destination, link.ctxParam, this.opts.codec, claims);
  }

  /** `auto`: a link whose matching costs more than a pool round trip moves to the workers (until it is recompiled). */
  private learn(link: CompiledLink, micros: number): void {
    link.matchSamplesUs.push(micros);
    if (link.matchSamplesUs.length < WINDOW) return;
    const median = link.matchSamplesUs.sort((a, b) => a - b)[WINDOW >> 1];
    link.matchSamplesUs.length = 0;
    if (median < AUTO_WORKERS_MIN_MATCH_US) return;
    this.pool ??= createOffloadPool(this.opts.config);
    link.offload = true;
    this.opts.log.info({ link: link.key, matchUs: Math.round(median) }, 'slow routing rules: link moved to the worker pool');
  }
}

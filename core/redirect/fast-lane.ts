import type { Logger } from 'pino';
import type { FastLane } from '../kernel.ts';
import type { LinkCache } from './link-cache.ts';
import type { Redirector } from './redirector.ts';

/**
 * `GET|HEAD /{handle}/{slug}` of a live link this process has cached, answered in the raw node:http
 * listener before Koa builds a context (docs/architecture.md "The hot path": the one measured way to ≥ 0.7× bare node:http).
 * Everything else (cold cache, unknown or paused links, every other route) falls through to Koa.
 */
export function createFastLane(linkCache: LinkCache, redirector: Redirector, log: Logger): FastLane {
  return (req, res) => {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url;
    if (!url || url.charCodeAt(0) !== 47 /* / */) return false;
    const q = url.indexOf('?');
    // Cache keys are `{handle}/{slug}`: the path itself, so any other shape simply misses.
    const link = linkCache.peekLive(q < 0 ? url.slice(1) : url.slice(1, q));
    if (!link) return false;
    try {
      redirector.answer(req, res, link, 'fast');
    } catch (err) {
      log.error({ err, url }, 'fast lane failed');
      if (!res.headersSent) return false; // let Koa answer it (and render the error in the contract's shape)
      res.destroy();
    }
    return true;
  };
}

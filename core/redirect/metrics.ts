// Redirect and click-capture metrics. Defined once per process (tests run several kernels in one):
// the buffer gauge sums every live ClickBuffer.
import client from 'prom-client';
import { registry } from '../http/metrics.ts';
import { LocalHistogram } from '../infra/local-histogram.ts';

/** Where a redirect's rule matching and ctx signing ran; `inline_fallback` = the pool failed, answered inline. */
export type RedirectMode = 'inline' | 'workers' | 'inline_fallback';
/** Which listener answered: the raw node:http fast lane (warm cache) or the Koa route (cold cache). */
export type RedirectLane = 'fast' | 'koa';

/**
 * Per-click counts in plain numbers per label set, added to their counter when it is read (collect(), on
 * every scrape): prom-client's inc() hashes and validates the label set on each call.
 */
function countedOnRead<L extends Record<string, string>>() {
  const counts: { labels: L; key: string; n: number }[] = [];
  return {
    /** The count of one label set, for the hot path: inc() adds 1 to a number. */
    child(labels: L): { inc(): void } {
      const key = JSON.stringify(labels);
      let c = counts.find((x) => x.key === key);
      if (!c) counts.push((c = { labels, key, n: 0 }));
      const count = c;
      return { inc: () => void count.n++ };
    },
    addTo(counter: client.Counter<Extract<keyof L, string>>) {
      for (const c of counts) {
        if (c.n === 0) continue;
        counter.inc(c.labels, c.n);
        c.n = 0;
      }
    },
  };
}

const redirectCounts = countedOnRead<{ mode: RedirectMode; lane: RedirectLane }>();

new client.Counter({
  name: 'tenx_redirects_total',
  help: 'Redirects answered (302), by where matching/signing ran and which listener answered',
  labelNames: ['mode', 'lane'],
  registers: [registry],
  collect() {
    redirectCounts.addTo(this);
  },
});

/** The redirect count of one (mode, lane), for the hot path. */
export const redirectCount = (mode: RedirectMode, lane: RedirectLane) => redirectCounts.child({ mode, lane });

export const redirectDuration = new LocalHistogram({
  name: 'tenx_redirect_duration_seconds',
  help: 'Time from request to 302 written, by mode',
  labelNames: ['mode'],
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
  registers: [registry],
});

export const clicksStored = new client.Counter({
  name: 'tenx_clicks_stored_total',
  help: 'Clicks written to PostgreSQL',
  registers: [registry],
});

export const clicksDropped = new client.Counter({
  name: 'tenx_clicks_dropped_total',
  help: 'Clicks answered but lost: buffer_full (CLICK_BUFFER_MAX reached, spill off), spill_full (CLICK_SPILL_MAX_MB reached), spill_failed (disk error), shutdown',
  labelNames: ['reason'],
  registers: [registry],
});

export const clickFlushFailures = new client.Counter({
  name: 'tenx_click_flush_failures_total',
  help: 'Click batch writes that failed and will be retried',
  registers: [registry],
});

export const clickJudgementsSkipped = new client.Counter({
  name: 'tenx_click_judgements_skipped_total',
  help: "Clicks stored without part of their judgement: a bot detector's verdict (reason late: no answer within 2 s; failed: it threw), or all of it (detector unjudged, reason plugins_unavailable or failed)",
  labelNames: ['detector', 'reason'],
  registers: [registry],
});

export const routingConditionErrors = new client.Counter({
  name: 'tenx_routing_condition_errors_total',
  help: "A goal type's routing condition that threw while a click was matched (its rule did not apply; the click went on to the next rule)",
  labelNames: ['condition'],
  registers: [registry],
});

export const clicksSpilled = new client.Counter({
  name: 'tenx_clicks_spilled_total',
  help: 'Clicks written to the spill file under DATA_DIR because the buffer was full',
  registers: [registry],
});

export const clicksReplayed = new client.Counter({
  name: 'tenx_clicks_replayed_total',
  help: 'Spilled clicks written to PostgreSQL from the spill file (also counted in tenx_clicks_stored_total)',
  registers: [registry],
});

const botCounts = countedOnRead<{ detector: string }>();

new client.Counter({
  name: 'tenx_bot_clicks_total',
  help: 'Clicks flagged as bots, by the detector plugin whose flag won (its name)',
  labelNames: ['detector'],
  registers: [registry],
  collect() {
    botCounts.addTo(this);
  },
});

/** The bot click count of one detector, for the hot path (a bot flood is every click). */
export const botClickCount = (detector: string) => botCounts.child({ detector });

const spills = new Set<{ readonly bytes: number }>();

/** Registers a spill whose size the gauge reports; returns the unregister function. */
export function trackSpill(spill: { readonly bytes: number }): () => void {
  spills.add(spill);
  return () => spills.delete(spill);
}

new client.Gauge({
  name: 'tenx_click_spill_bytes',
  help: 'Bytes of clicks in the spill file waiting to be written to PostgreSQL',
  registers: [registry],
  collect() {
    let n = 0;
    for (const s of spills) n += s.bytes;
    this.set(n);
  },
});

const bufferSizes = new Set<{ readonly size: number }>();

/** Registers a buffer whose size the gauge reports; returns the unregister function. */
export function trackBuffer(buffer: { readonly size: number }): () => void {
  bufferSizes.add(buffer);
  return () => bufferSizes.delete(buffer);
}

new client.Gauge({
  name: 'tenx_click_buffer_clicks',
  help: 'Clicks waiting in memory to be written (includes batches being retried)',
  registers: [registry],
  collect() {
    let n = 0;
    for (const b of bufferSizes) n += b.size;
    this.set(n);
  },
});

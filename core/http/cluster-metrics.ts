import cluster from 'node:cluster';
import client from 'prom-client';
import { registry } from './metrics.ts';

// `tenx serve --workers N`: a scrape lands on any one worker, which answers for the whole server. It
// asks its primary, and the primary gathers every worker's registry with prom-client's
// AggregatorRegistry: counters and histograms summed, gauges summed unless they say otherwise
// (database-wide gauges such as the delivery backlog take the max, since every worker reads the same
// rows). Without a cluster, /metrics is the process's own registry.

const REQUEST = 'tenx:metrics-req';
const RESPONSE = 'tenx:metrics-res';
/** prom-client's own gathering gives up after 5 s; the worker waits a little longer for its answer. */
const WAIT_MS = 6_000;

interface Reply {
  type: typeof RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

const pending = new Map<number, { ok(text: string): void; fail(err: Error): void; timer: NodeJS.Timeout }>();
let seq = 0;
let joined = false;

/** In a worker: lets the primary gather this process's registry, and receive the gathered text. */
export function joinClusterMetrics(): void {
  if (!cluster.isWorker || joined) return;
  joined = true;
  client.AggregatorRegistry.setRegistries([registry]);
  new client.AggregatorRegistry(); // its constructor installs the worker's answer to the primary's requests
  process.on('message', (m: Reply) => {
    const wait = m?.type === RESPONSE ? pending.get(m.id) : undefined;
    if (!wait) return;
    pending.delete(m.id);
    clearTimeout(wait.timer);
    if (m.error !== undefined) wait.fail(new Error(m.error));
    else wait.ok(m.text ?? '');
  });
}

/** The Prometheus text /metrics answers: the whole cluster's from a worker, else this process's. */
export function metricsText(): Promise<string> {
  if (!joined || !process.send) return registry.metrics();
  const id = ++seq;
  return new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      fail(new Error('the primary did not answer with the workers\' metrics'));
    }, WAIT_MS);
    pending.set(id, { ok, fail, timer });
    process.send!({ type: REQUEST, id });
  });
}

/** In the primary: answers each worker's request with every worker's registry, aggregated. */
export function serveClusterMetrics(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, m: { type?: unknown; id?: unknown }) => {
    if (m?.type !== REQUEST || typeof m.id !== 'number') return;
    const id = m.id;
    aggregator.clusterMetrics().then(
      (text) => worker.isConnected() && worker.send({ type: RESPONSE, id, text } satisfies Reply),
      (err: Error) => worker.isConnected() && worker.send({ type: RESPONSE, id, error: err.message } satisfies Reply),
    );
  });
}

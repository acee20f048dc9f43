import { expect } from 'chai';
import client from 'prom-client';
import { LocalHistogram } from '../../core/infra/local-histogram.ts';
import { parsePrometheusText } from '../support/prom-text.ts';

// The redirect's duration histogram counts in plain numbers; what a scrape reads must be exactly what
// prom-client's own Histogram gives for the same observations, alone and summed across cluster workers.
describe('LocalHistogram', () => {
  const buckets = [0.001, 0.005, 0.01, 0.1];
  // On each bound, just above it, below the first, above the last (+Inf only), and zero.
  const observations: [string, number][] = [
    ['inline', 0.001], ['inline', 0.0010001], ['inline', 0.0004], ['inline', 0.005], ['inline', 0.1], ['inline', 0.25],
    ['workers', 0], ['workers', 0.01], ['workers', 0.0099], ['inline', 0.003],
  ];

  function both(seen: [string, number][]) {
    const ours = new client.Registry();
    const theirs = new client.Registry();
    const local = new LocalHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['mode'], buckets, registers: [ours] });
    const reference = new client.Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['mode'], buckets, registers: [theirs] });
    for (const [mode, v] of seen) {
      local.child(mode)(v);
      reference.labels(mode).observe(v);
    }
    return { ours, theirs, local };
  }

  it('exposes the same text as prom-client for the same observations, boundaries included', async () => {
    const { ours, theirs } = both(observations);
    const text = await ours.metrics();
    expect(text).to.equal(await theirs.metrics());
    const family = parsePrometheusText(text).get('h_seconds')!; // the strict (promtool) reader accepts it
    expect(family.type).to.equal('histogram');
    const bucket = (mode: string, le: string) => family.samples.find((s) => s.name === 'h_seconds_bucket' && s.labels.mode === mode && s.labels.le === le)?.value;
    expect(bucket('inline', '0.001')).to.equal(2); // 0.0004 and 0.001 (a bound is inclusive)
    expect(bucket('inline', '0.005')).to.equal(5);
    expect(bucket('inline', '+Inf')).to.equal(7);
  });

  it('sums across cluster workers as prom-client does, and resets', async () => {
    const a = both(observations.slice(0, 6));
    const b = both(observations.slice(4));
    const ours = await client.AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]).metrics();
    const theirs = await client.AggregatorRegistry.aggregate([await a.theirs.getMetricsAsJSON(), await b.theirs.getMetricsAsJSON()]).metrics();
    expect(ours).to.equal(theirs);
    const observe = a.local.child('inline'); // as the redirector holds it: looked up once, kept
    a.local.reset();
    const after = parsePrometheusText(await a.ours.metrics()).get('h_seconds')!;
    expect(after.samples.length).to.be.greaterThan(0);
    expect(after.samples.every((s) => s.value === 0)).to.equal(true);
    observe(0.002);
    observe(Number.NaN); // skipped: the sum stays a number
    const again = parsePrometheusText(await a.ours.metrics()).get('h_seconds')!;
    const value = (name: string, le?: string) =>
      again.samples.find((s) => s.name === name && s.labels.mode === 'inline' && (le === undefined || s.labels.le === le))?.value;
    expect([value('h_seconds_bucket', '0.001'), value('h_seconds_bucket', '0.005'), value('h_seconds_count'), value('h_seconds_sum')]).to.deep.equal([0, 1, 1, 0.002]);
  });

  it('keeps several labels per series, in labelNames order, as prom-client does', async () => {
    const ours = new client.Registry();
    const theirs = new client.Registry();
    const labelNames = ['method', 'route', 'status'];
    const local = new LocalHistogram({ name: 'r_seconds', help: 'h', labelNames, buckets, registers: [ours] });
    const reference = new client.Histogram({ name: 'r_seconds', help: 'h', labelNames, buckets, registers: [theirs] });
    const seen: [string, string, string, number][] = [
      ['GET', '/healthz', '200', 0.002], ['GET', '/healthz', '200', 0.02], ['POST', '/v2/handles', '201', 0.004],
      ['GET', '/healthz', '503', 0.5], ['GET', 'unmatched', '404', 0.0001],
    ];
    for (const [method, route, status, v] of seen) {
      local.child(method, route, status)(v);
      reference.observe({ method, route, status }, v);
    }
    expect(await ours.metrics()).to.equal(await theirs.metrics());
    expect(() => local.child('GET')).to.throw(/3 label values/);
  });
});

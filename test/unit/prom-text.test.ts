import { expect } from 'chai';
import { parsePrometheusText, valueOf } from '../support/prom-text.ts';

// The tests' exposition parser reads values as Prometheus does (Go's strconv.ParseFloat): prom-client writes NaN as
// "Nan", which a stricter parser refused ("bad sample: nodejs_eventloop_lag_mean_seconds Nan").
describe('the test exposition parser reads values as Prometheus does', () => {
  const gauge = (value: string) => parsePrometheusText(`# HELP g a gauge\n# TYPE g gauge\ng ${value}\n`);

  it('takes NaN and Inf in any case, and signed infinities', () => {
    expect(valueOf(gauge('Nan'), 'g')).to.be.NaN;
    expect(valueOf(gauge('NaN'), 'g')).to.be.NaN;
    expect(valueOf(gauge('+Inf'), 'g')).to.equal(Infinity);
    expect(valueOf(gauge('-inf'), 'g')).to.equal(-Infinity);
    expect(valueOf(gauge('1.5e3'), 'g')).to.equal(1500);
  });

  it('still refuses what is no number', () => {
    for (const bad of ['abc', '0x10', '1_000', 'Infinit']) expect(() => gauge(bad), bad).to.throw(/bad sample/);
  });
});

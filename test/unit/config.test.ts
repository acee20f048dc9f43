import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config/index.ts';

const NEW_KEY = 'new-ctx-key-0123456789abcdefghijklm';
const OLD_KEY = 'old-ctx-key-0123456789abcdefghijklm';

describe('config from the environment', () => {
  it('applies documented defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.port).to.equal(3000);
    expect(c.databaseUrl).to.equal('');
    expect(c.redirectOffload).to.equal('auto');
    expect(c.publicRateLimit).to.equal(50);
    expect(c.webhookRetryBaseMs).to.equal(5000);
    expect(c.webhookAllowPrivate).to.equal(false);
  });

  it('coerces numbers, booleans and lists', () => {
    const c = loadConfig({ PORT: '8080', WEBHOOK_ALLOW_PRIVATE: 'true', CTX_SECRETS: `${NEW_KEY}, ${OLD_KEY}`, PLUGINS: './a.ts,pkg' });
    expect(c.port).to.equal(8080);
    expect(c.webhookAllowPrivate).to.equal(true);
    expect(c.ctxSecrets).to.deep.equal([NEW_KEY, OLD_KEY]);
    expect(c.plugins).to.deep.equal(['./a.ts', 'pkg']);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^PORT must be a number/],
    [{ PORT: '70000' }, /^PORT must be <= 65535/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "loud"\)$/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL must match pattern/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL must match pattern/],
    [{ WEBHOOK_ALLOW_PRIVATE: 'maybe' }, /^WEBHOOK_ALLOW_PRIVATE must be true or false/],
    [{ REDIRECT_OFFLOAD: 'gpu' }, /^REDIRECT_OFFLOAD must be one of auto, workers, inline/],
    // Issue 12 item 9: operator secrets short enough to guess are refused, naming the key, never its value.
    [{ ADMIN_TOKEN: 'a'.repeat(31) }, /^ADMIN_TOKEN must be at least 32 characters, got 31;/],
    [{ CTX_SECRETS: 'short' }, /^CTX_SECRETS must be at least 32 characters, got 5;/],
    [{ CTX_SECRETS: `${NEW_KEY},old` }, /^CTX_SECRETS \(key 2 of 2\) must be at least 32 characters, got 3;/],
    [{ METRICS_TOKEN: 'scrape-me' }, /^METRICS_TOKEN must be at least 32 characters, got 9;/],
    // Issue 17: a read replica only makes sense beside a PostgreSQL server; N workers are whole numbers.
    [{ DATABASE_READ_URL: 'postgresql://replica/tenx' }, /^DATABASE_READ_URL needs DATABASE_URL/],
    [{ DATABASE_READ_URL: 'mysql://replica', DATABASE_URL: 'postgresql://db/tenx' }, /^DATABASE_READ_URL must match pattern/],
    [{ WORKERS: '-1' }, /^WORKERS must be >= 0/],
    [{ WORKERS: 'all' }, /^WORKERS must be a number/],
    // Black-box pass: a bad TRUSTED_PROXIES stopped the start only once the kernel was up ("failed to start", exit 1),
    // and with --workers 2 once per worker: it is a configuration error like any other.
    [{ TRUSTED_PROXIES: '10.0.0.1,proxy.internal' }, /^TRUSTED_PROXIES: "proxy.internal" is not an IP address or CIDR/],
    [{ TRUSTED_PROXIES: '10.0.0.0/33' }, /^TRUSTED_PROXIES: "10.0.0.0\/33" is not an IP address or CIDR/],
  ];
  it('reads WORKERS (0: automatic) and DATABASE_READ_URL beside DATABASE_URL', () => {
    expect(loadConfig({}).workers).to.equal(0);
    const c = loadConfig({ WORKERS: '3', DATABASE_URL: 'postgresql://db/tenx', DATABASE_READ_URL: 'postgresql://replica/tenx' });
    expect(c).to.include({ workers: 3, databaseUrl: 'postgresql://db/tenx', databaseReadUrl: 'postgresql://replica/tenx' });
  });
  it('accepts 32-character secrets and keeps the metrics token', () => {
    const c = loadConfig({ ADMIN_TOKEN: 'a'.repeat(32), CTX_SECRETS: 'k'.repeat(32), METRICS_TOKEN: 'm'.repeat(32) });
    expect(c.adminToken).to.equal('a'.repeat(32));
    expect(c.metricsToken).to.equal('m'.repeat(32));
  });

  it('never echoes a short secret in its error', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'hunter2-hunter2' })).to.throw(ConfigError).with.property('message').that.does.not.include('hunter2');
  });

  for (const [env, message] of bad) {
    it(`stops with one line naming ${Object.keys(env)[0]} for ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }
});

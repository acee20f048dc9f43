import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../config/index.ts';

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
    const c = loadConfig({ PORT: '8080', WEBHOOK_ALLOW_PRIVATE: 'true', CTX_SECRETS: 'new, old', PLUGINS: './a.ts,pkg' });
    expect(c.port).to.equal(8080);
    expect(c.webhookAllowPrivate).to.equal(true);
    expect(c.ctxSecrets).to.deep.equal(['new', 'old']);
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
  ];
  for (const [env, message] of bad) {
    it(`stops with one line naming ${Object.keys(env)[0]} for ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, message);
    });
  }
});

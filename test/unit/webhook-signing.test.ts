import { expect } from 'chai';
import { Webhook } from 'standardwebhooks';
import { generateSecret, signPayload, signatureHeaders } from '../../core/notifications/signing.ts';

const body = JSON.stringify({ id: 'evt_1', type: 'conversion.tested', createdAt: '2026-02-25T12:00:00.000Z', handle: 'acme', data: { value: 24.99, currency: 'USD' } });
const now = () => Math.floor(Date.now() / 1000);

describe('webhook signing (Standard Webhooks)', () => {
  it('a secret is whsec_ + base64 of 32 random bytes, different every time', () => {
    const secret = generateSecret();
    expect(secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).to.have.length(32);
    expect(generateSecret()).to.not.equal(secret);
  });

  it('headers verify with the standardwebhooks library', () => {
    const secret = generateSecret();
    const headers = signatureHeaders('dlv_1', now(), body, [secret]);
    expect(headers['webhook-id']).to.equal('dlv_1');
    expect(headers['webhook-signature']).to.match(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(new Webhook(secret).verify(body, headers)).to.deep.equal(JSON.parse(body));
  });

  it('signPayload matches the library for the same id, timestamp and body', () => {
    const secret = generateSecret();
    const ts = now();
    expect(signPayload(secret, 'dlv_2', ts, body)).to.equal(new Webhook(secret).sign('dlv_2', new Date(ts * 1000), body));
  });

  it('a tampered body, id or timestamp fails verification', () => {
    const secret = generateSecret();
    const headers = signatureHeaders('dlv_3', now(), body, [secret]);
    const wh = new Webhook(secret);
    expect(() => wh.verify(body.replace('24.99', '2499'), headers)).to.throw(/signature/i);
    expect(() => wh.verify(body, { ...headers, 'webhook-id': 'dlv_4' })).to.throw(/signature/i);
    // One second before the signed one (now() - 1 was the signed second itself when the clock ticked in between: a full run, 2026-12-06).
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).to.throw(/signature/i);
  });

  it('a receiver holding another secret rejects the delivery', () => {
    const headers = signatureHeaders('dlv_5', now(), body, [generateSecret()]);
    expect(() => new Webhook(generateSecret()).verify(body, headers)).to.throw(/signature/i);
  });

  it('during a rotation overlap it sends two signatures, current first, and both secrets verify', () => {
    const previous = generateSecret();
    const current = generateSecret();
    const ts = now();
    const headers = signatureHeaders('dlv_6', ts, body, [current, previous]);
    const parts = headers['webhook-signature'].split(' ');
    expect(parts).to.deep.equal([signPayload(current, 'dlv_6', ts, body), signPayload(previous, 'dlv_6', ts, body)]);
    expect(new Webhook(previous).verify(body, headers)).to.deep.equal(JSON.parse(body));
    expect(new Webhook(current).verify(body, headers)).to.deep.equal(JSON.parse(body));
  });

  it('signs non-ASCII bodies as UTF-8, as receivers hash the bytes', () => {
    const secret = generateSecret();
    const unicode = JSON.stringify({ note: 'Zürich – 東京 ✓' });
    expect(new Webhook(secret).verify(unicode, signatureHeaders('dlv_7', now(), unicode, [secret]))).to.deep.equal(JSON.parse(unicode));
  });

  it('refuses to sign without a secret, with a malformed secret, or with a fractional timestamp', () => {
    expect(() => signatureHeaders('dlv_8', now(), body, [])).to.throw(/at least one secret/);
    expect(() => signatureHeaders('dlv_8', now(), body, ['whsec_not base64!'])).to.throw(/base64/);
    expect(() => signatureHeaders('dlv_8', 1.5, body, [generateSecret()])).to.throw(/unix seconds/);
  });
});

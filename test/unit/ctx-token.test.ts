import { expect } from 'chai';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { createCtxCodec } from '../../core/redirect/ctx-token.ts';

const FIXED_TOKEN = 'AQGTpcJ-H3q8je8BI0VniatnS3tAAB4EYWNtZQ1wYXJ0bmVyLWFscGhh9F7pVz8HwcsIW-nM3Il_Uw';

describe('ctx token', () => {
  const codec = createCtxCodec(['k-new-0123456789abcdef']);
  const claims = () => ({ clickId: uuidv7(), handle: 'acme', campaignId: 'partner-alpha', issuedAt: new Date(), windowDays: 30 });

  it('round-trips the bound claims and is URL-safe', () => {
    const c = claims();
    const token = codec.sign(c);
    expect(token).to.match(/^[A-Za-z0-9_-]+$/);
    const v = codec.verify(token);
    expect(v.ok).to.equal(true);
    if (!v.ok) return;
    expect(v.claims).to.include({ clickId: c.clickId, handle: 'acme', campaignId: 'partner-alpha', windowDays: 30 });
    expect(Math.abs(v.claims.issuedAt.getTime() - c.issuedAt.getTime())).to.be.below(1000);
    expect(v.expired).to.equal(false);
  });

  it('binds the right handle when two handles have a campaign of the same id, in any order, and any UUID form', () => {
    const one = createCtxCodec(['k-new-0123456789abcdef']);
    for (const handle of ['acme', 'globex', 'acme', 'acme', 'globex']) {
      for (const clickId of [uuidv7(), uuidv4(), uuidv7().toUpperCase(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']) {
        const v = one.verify(one.sign({ ...claims(), handle, clickId }));
        expect(v.ok && v.claims.handle, clickId).to.equal(handle);
        expect(v.ok && v.claims.clickId, handle).to.equal(clickId.toLowerCase());
        expect(v.ok && v.claims.campaignId).to.equal('partner-alpha');
      }
    }
  });

  it('signs the same bytes as ever for fixed claims (tokens in the wild keep verifying)', () => {
    const fixed = { clickId: '0193a5c2-7e1f-7abc-8def-0123456789ab', handle: 'acme', campaignId: 'partner-alpha', issuedAt: new Date(1_733_000_000_000), windowDays: 30 };
    // Computed by the implementation before 2026-12-03's rewrite of the MAC and the token's assembly.
    expect(codec.sign(fixed)).to.equal(FIXED_TOKEN);
    expect(codec.verify(FIXED_TOKEN, 1_733_000_000_000).ok).to.equal(true);
  });

  it('stays at most 200 characters with the longest handle and campaign id', () => {
    const token = codec.sign({ ...claims(), handle: 'h'.repeat(40), campaignId: 'c'.repeat(64), windowDays: 365 });
    expect(token.length).to.be.at.most(200);
    expect(codec.verify(token).ok).to.equal(true);
  });

  it('rejects altered, forged and malformed tokens', () => {
    const token = codec.sign(claims());
    const chars = token.split('');
    chars[30] = chars[30] === 'A' ? 'B' : 'A';
    expect(codec.verify(chars.join(''))).to.deep.equal({ ok: false, reason: 'bad_signature' });
    const forged = createCtxCodec(['attacker-key-0000000000']).sign(claims());
    expect(codec.verify(forged)).to.deep.equal({ ok: false, reason: 'bad_signature' });
    expect(codec.verify(`${token}A`).ok, 'an appended character').to.equal(false);
    expect(codec.verify(token.slice(0, -1)).ok, 'a dropped character').to.equal(false);
    for (const bad of ['', 'abc', 'x'.repeat(201), '!!!!'.repeat(20), 42, null]) {
      expect(codec.verify(bad).ok).to.equal(false);
    }
  });

  it('rejects a change of any single character', () => {
    const token = codec.sign(claims());
    for (let i = 0; i < token.length; i++) {
      for (const c of ['A', 'B', '-', '_', 'z']) {
        if (token[i] === c) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        expect(codec.verify(altered).ok, `position ${i} → ${c}`).to.equal(false);
      }
    }
  });

  it('expires after the attribution window', () => {
    const issuedAt = new Date(Date.now() - 31 * 86_400_000);
    const v = codec.verify(codec.sign({ ...claims(), issuedAt, windowDays: 30 }));
    expect(v.ok && v.expired).to.equal(true);
  });

  it('verifies tokens signed with a previous key after rotation', () => {
    const old = createCtxCodec(['k-old-0123456789abcdef']);
    const rotated = createCtxCodec(['k-new-0123456789abcdef', 'k-old-0123456789abcdef']);
    expect(rotated.verify(old.sign(claims())).ok).to.equal(true);
    expect(codec.verify(old.sign(claims())).ok).to.equal(false);
  });
});

import { expect } from 'chai';
import {
  botRatio,
  clampScore,
  confidence,
  conversionRate,
  CONFIDENCE_REASONS,
  type ConfidenceInput,
} from '../../core/analytics/confidence.ts';

const now = new Date('2026-02-25T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

/** A healthy partner campaign: plenty of clicks, no bots, a click an hour ago. */
function row(over: Partial<ConfidenceInput> = {}): ConfidenceInput {
  return {
    clicks: 10_000,
    qualifiedClicks: 10_000,
    conversions: 100,
    status: 'ACTIVE',
    lastClickAt: new Date(now.getTime() - 60 * 60 * 1000),
    now,
    ...over,
  };
}

/** clicks=10000 so each bot count is an exact percentage. */
const withBots = (bots: number) => row({ qualifiedClicks: 10_000 - bots });

describe('confidence: seed workflow 4, detect and filter bot traffic', () => {
  it('a healthy campaign scores 100 with no reasons', () => {
    expect(confidence(row())).to.deep.equal({ score: 100, reasons: [] });
  });

  describe('bot ratio boundaries', () => {
    it('19.99% bots: no penalty', () => {
      expect(confidence(withBots(1999))).to.deep.equal({ score: 100, reasons: [] });
    });
    it('20% bots: −15', () => {
      expect(confidence(withBots(2000))).to.deep.equal({ score: 85, reasons: ['bot_ratio_20_40'] });
    });
    it('40% bots: still −15', () => {
      expect(confidence(withBots(4000))).to.deep.equal({ score: 85, reasons: ['bot_ratio_20_40'] });
    });
    it('40.01% bots: −30', () => {
      expect(confidence(withBots(4001))).to.deep.equal({ score: 70, reasons: ['bot_ratio_over_40'] });
    });
    it('all bots: −30 (and conversions then exceed qualified clicks)', () => {
      expect(confidence(withBots(10_000)).reasons).to.include('bot_ratio_over_40');
    });
    it('exact 20% and 40% on small totals too (35 clicks, 7 and 14 bots)', () => {
      expect(confidence(row({ clicks: 35, qualifiedClicks: 28, conversions: 0 })).reasons).to.deep.equal(['bot_ratio_20_40']);
      expect(confidence(row({ clicks: 35, qualifiedClicks: 21, conversions: 0 })).reasons).to.deep.equal(['bot_ratio_20_40']);
    });
  });

  describe('each penalty alone', () => {
    it('more conversions than qualified clicks: −25', () => {
      expect(confidence(row({ conversions: 10_001 }))).to.deep.equal({
        score: 75,
        reasons: ['conversions_exceed_qualified_clicks'],
      });
    });
    it('conversions equal to qualified clicks: no penalty', () => {
      expect(confidence(row({ conversions: 10_000 })).score).to.equal(100);
    });
    it('ACTIVE with its last click more than 7 days ago: −10 stale_data', () => {
      const lastClickAt = new Date(now.getTime() - 7 * DAY - 1);
      expect(confidence(row({ lastClickAt }))).to.deep.equal({ score: 90, reasons: ['stale_data'] });
    });
    it('last click exactly 7 days ago is not stale yet', () => {
      expect(confidence(row({ lastClickAt: new Date(now.getTime() - 7 * DAY) })).score).to.equal(100);
    });
    it('accepts lastClickAt as an ISO string', () => {
      const lastClickAt = new Date(now.getTime() - 8 * DAY).toISOString();
      expect(confidence(row({ lastClickAt })).reasons).to.deep.equal(['stale_data']);
    });
    it('a PAUSED campaign with old clicks is not stale', () => {
      const lastClickAt = new Date(now.getTime() - 30 * DAY);
      expect(confidence(row({ status: 'PAUSED', lastClickAt })).score).to.equal(100);
    });
    it('fewer than 30 clicks: −10 low_volume; 30 clicks is enough', () => {
      expect(confidence(row({ clicks: 29, qualifiedClicks: 29, conversions: 1 }))).to.deep.equal({
        score: 90,
        reasons: ['low_volume'],
      });
      expect(confidence(row({ clicks: 30, qualifiedClicks: 30, conversions: 1 })).score).to.equal(100);
    });
    it('no clicks at all: bot ratio 0, never stale, only low_volume', () => {
      expect(confidence(row({ clicks: 0, qualifiedClicks: 0, conversions: 0, lastClickAt: null }))).to.deep.equal({
        score: 90,
        reasons: ['low_volume'],
      });
    });
  });

  describe('combinations', () => {
    it('over-40% bots and more conversions than qualified clicks: 100 − 30 − 25', () => {
      const r = confidence(row({ qualifiedClicks: 5000, conversions: 6000 }));
      expect(r).to.deep.equal({ score: 45, reasons: ['bot_ratio_over_40', 'conversions_exceed_qualified_clicks'] });
    });
    it('every penalty at once: 100 − 30 − 25 − 10 − 10 = 25', () => {
      const r = confidence({
        clicks: 20,
        qualifiedClicks: 5,
        conversions: 9,
        status: 'ACTIVE',
        lastClickAt: new Date(now.getTime() - 30 * DAY),
        now,
      });
      expect(r.reasons).to.deep.equal([
        'bot_ratio_over_40',
        'conversions_exceed_qualified_clicks',
        'stale_data',
        'low_volume',
      ]);
      expect(r.score).to.equal(25);
      expect(Number.isInteger(r.score)).to.equal(true);
    });
    it('clamps at 0 and 100 and rounds to an integer (the specified penalties alone never reach 0)', () => {
      expect(clampScore(-20)).to.equal(0);
      expect(clampScore(130)).to.equal(100);
      expect(clampScore(44.6)).to.equal(45);
    });
    it('the score is always an integer within 0..100', () => {
      for (const bots of [0, 1999, 2000, 4000, 4001, 10_000]) {
        const { score } = confidence(withBots(bots));
        expect(score).to.be.within(0, 100);
        expect(Number.isInteger(score)).to.equal(true);
      }
    });
  });

  it('seed: "a score below 50 warrants investigation" (likely fraud plus impossible conversions)', () => {
    // Partner with 1,000 clicks, 550 of them bots, and 600 conversions reported against 450 real clicks.
    const r = confidence(row({ clicks: 1000, qualifiedClicks: 450, conversions: 600 }));
    expect(r.score).to.be.below(50);
    expect(r.reasons).to.deep.equal(['bot_ratio_over_40', 'conversions_exceed_qualified_clicks']);
  });

  it('issue 12: a partner posting sales on its own clicks (over 3 conversions per qualified click) is named; API.md\'s 25 points are taken once', () => {
    const posted = confidence(row({ clicks: 40, qualifiedClicks: 40, conversions: 121 }));
    expect(posted.reasons).to.deep.equal(['conversions_exceed_qualified_clicks', 'implausible_conversions_per_click']);
    expect(posted.score).to.equal(75);
    // A bot's click with a conversion: bots over 40 % (30), more conversions than qualified clicks (25), low volume (10).
    expect(confidence(row({ clicks: 1, qualifiedClicks: 0, conversions: 1 })).score).to.equal(35);
    // Without a qualified click, 3 conversions are not yet named implausible (a visit flagged as a bot bought), 4 are.
    expect(confidence(row({ clicks: 1, qualifiedClicks: 0, conversions: 3 })).reasons).to.deep.equal(['bot_ratio_over_40', 'conversions_exceed_qualified_clicks', 'low_volume']);
    expect(confidence(row({ clicks: 1, qualifiedClicks: 0, conversions: 4 })).reasons).to.include('implausible_conversions_per_click');
    expect(confidence(row({ clicks: 0, qualifiedClicks: 0, conversions: 4 })).reasons).to.include('implausible_conversions_per_click');
    // Exactly 3 per click is the threshold, not yet impossible.
    expect(confidence(row({ clicks: 40, qualifiedClicks: 40, conversions: 120 })).reasons).to.deep.equal(['conversions_exceed_qualified_clicks']);
  });

  it('every reason code has a human description for the dashboard', () => {
    const codes = ['bot_ratio_20_40', 'bot_ratio_over_40', 'conversions_exceed_qualified_clicks', 'implausible_conversions_per_click', 'stale_data', 'low_volume'];
    expect(Object.keys(CONFIDENCE_REASONS)).to.have.members(codes);
    for (const text of Object.values(CONFIDENCE_REASONS)) expect(text).to.match(/^[A-Z].*\.$/);
  });
});

describe('funnel ratios', () => {
  it('botRatio is (clicks − qualified) / clicks as it is, not rounded; 0 without clicks', () => {
    expect(botRatio(10_000, 8000)).to.equal(0.2);
    expect(botRatio(3, 2)).to.equal(1 / 3);
    expect(botRatio(14, 11)).to.equal(3 / 14);
    expect(botRatio(0, 0)).to.equal(0);
  });
  it('conversionRate is conversions / qualified clicks as it is, not rounded; 0 without a qualified click', () => {
    expect(conversionRate(1, 3)).to.equal(1 / 3);
    expect(conversionRate(2, 3)).to.equal(2 / 3);
    expect(conversionRate(3, 11)).to.equal(3 / 11);
    expect(conversionRate(5, 0)).to.equal(0);
  });
});

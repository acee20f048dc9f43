import { expect } from 'chai';
import { expandTemplate, hasStrayBrace, sampleUrl, unknownMacros } from '../../core/notifications/postback-macros.ts';

describe('postback URL templates', () => {
  it('names each unknown macro once, in order; known ones and plain text pass', () => {
    expect(unknownMacros('https://t.example/pb?c={click_id}&a={amount}&s1={sub1}')).to.deep.equal([]);
    expect(unknownMacros('https://t.example/pb?x={payout}&y={CLICK_ID}&z={payout}&e={}')).to.deep.equal(['payout', 'CLICK_ID', '']);
  });

  it('finds a brace that opens or closes no macro', () => {
    expect(hasStrayBrace('https://t.example/pb?c={click_id}&a={amount}')).to.equal(false);
    for (const t of ['https://t.example/pb?a={amount', 'https://t.example/pb?a=amount}', 'https://t.example/pb?a={{amount}', 'https://t.example/pb?a={amount}}']) {
      expect(hasStrayBrace(t), t).to.equal(true);
    }
  });

  it('URL-encodes every value and leaves a missing one empty', () => {
    const url = expandTemplate('https://t.example/pb/{campaign_id}?s={sub1}&a={amount}&c={country}', {
      campaign_id: 'a/b', sub1: 'x&y=z ü#', amount: '3.34', country: null,
    });
    expect(url).to.equal('https://t.example/pb/a%2Fb?s=x%26y%3Dz%20%C3%BC%23&a=3.34&c=');
    expect(new URL(url).searchParams.get('s')).to.equal('x&y=z ü#');
  });

  it('checks a template as a URL with each macro standing for a harmless word', () => {
    expect(sampleUrl('https://t.example/{sub1}?c={click_id}')).to.equal('https://t.example/x?c=x');
  });
});

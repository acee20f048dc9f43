import { expect } from 'chai';
import type { IncomingMessage } from 'node:http';
import { parseTrustedProxies } from '../../core/http/client-ip.ts';
import { clickFacts } from '../../core/redirect/click-facts.ts';
import type { CompiledLink } from '../../core/redirect/link-cache.ts';

const link = { handle: 'acme', campaignId: 'alpha', slug: 'deal' } as CompiledLink;
const env = { trustedProxies: parseTrustedProxies(''), countryHeader: '' };
const request = (url: string) => ({ url, headers: { 'user-agent': 'Mozilla/5.0' }, socket: { remoteAddress: '203.0.113.9' } }) as unknown as IncomingMessage;
const queryOf = (url: string) => clickFacts(request(url), link, new Date(), env).query;

describe('click facts: the query', () => {
  it('keeps the first value of a repeated parameter, decoded, the same on every click of one link', () => {
    for (let i = 0; i < 3; i++) {
      expect(queryOf('/acme/deal?sub1=a%20b&sub1=second&utm_source=news+letter&empty=')).to.deep.equal({ sub1: 'a b', utm_source: 'news letter', empty: '' });
    }
    expect(queryOf('/acme/deal')).to.deep.equal({});
    expect(queryOf('/acme/deal?')).to.deep.equal({});
  });

  it("gives each click its own object: what one click's plugin changes, the next click does not see", () => {
    const first = queryOf('/acme/deal?sub1=x');
    first.sub1 = 'changed';
    first.added = 'yes';
    const second = queryOf('/acme/deal?sub1=x');
    expect(second).to.deep.equal({ sub1: 'x' });
    expect(second).to.not.equal(first);
    expect(Object.isFrozen(second)).to.equal(false);
  });

  it('parses a query too long to keep as well as a short one', () => {
    const long = 'x'.repeat(2000);
    expect(queryOf(`/acme/deal?sub2=${long}&sub2=no`)).to.deep.equal({ sub2: long });
  });
});

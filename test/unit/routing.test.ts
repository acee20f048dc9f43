import { expect } from 'chai';
import fc from 'fast-check';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ClickFacts, ConditionKind } from '../../core/plugins/sdk.ts';
import { languages, sourceChannel } from '../../core/redirect/classify.ts';
import { builtinConditionSchemas, routingRulesSchema } from '../../core/campaigns/routing-rules.ts';
import { destinationProblem } from '../../core/campaigns/destination.ts';
import { appendCtx, chooseDestination, compileRules, ruleCost, type RoutingRule } from '../../core/redirect/routing.ts';

const PRIMARY = 'https://merchant.example.com/product?ref=alpha';
const EMAIL = 'https://merchant.example.com/product?ref=alpha&src=email';
const SOCIAL = 'https://merchant.example.com/product?ref=alpha&src=social';

// Seed workflow 6, verbatim.
const seedRules: RoutingRule[] = [
  { priority: 10, destinationUrl: EMAIL, conditions: { sourceIn: ['email'] } },
  { priority: 20, destinationUrl: SOCIAL, conditions: { sourceIn: ['twitter', 'instagram', 'facebook'] } },
];

function click(over: Partial<ClickFacts> = {}): ClickFacts {
  return {
    handle: 'acme', campaignId: 'partner-alpha', slug: 'deal-alpha', ip: '203.0.113.7', userAgent: 'Mozilla/5.0',
    headers: {}, source: 'direct', referrerHost: null, country: 'US', device: 'desktop', languages: ['en'],
    query: {}, occurredAt: new Date('2026-02-25T12:00:00Z'), ...over,
  };
}

/** A click as the redirect would see it: src query and Referer through sourceChannel. */
function visit(query: Record<string, string>, referer?: string, over: Partial<ClickFacts> = {}): ClickFacts {
  return click({ ...sourceChannel(query, referer), query, ...over });
}

describe('routing: workflow 6, source-based targeting', () => {
  const compiled = compileRules(seedRules);

  it('sends ?src=email to the email destination', () => {
    expect(chooseDestination(compiled, PRIMARY, visit({ src: 'email' }))).to.equal(EMAIL);
  });

  it('sends a click from https://t.co/x to the social destination', () => {
    expect(chooseDestination(compiled, PRIMARY, visit({}, 'https://t.co/x'))).to.equal(SOCIAL);
  });

  it('sends a click that matches no rule to the primary link', () => {
    expect(chooseDestination(compiled, PRIMARY, visit({}))).to.equal(PRIMARY);
    expect(chooseDestination(compiled, PRIMARY, visit({}, 'https://blog.example/'))).to.equal(PRIMARY);
  });

  it('takes a Referer host with and without its www. as one source (a rule written before the source kept it still matches)', () => {
    const bare = compileRules([{ priority: 1, destinationUrl: EMAIL, conditions: { sourceIn: ['deals-blog.example'] } }]);
    expect(chooseDestination(bare, PRIMARY, click({ source: 'www.deals-blog.example' }))).to.equal(EMAIL);
    const www = compileRules([{ priority: 1, destinationUrl: EMAIL, conditions: { sourceIn: ['www.deals-blog.example'] } }]);
    expect(chooseDestination(www, PRIMARY, click({ source: 'deals-blog.example' }))).to.equal(EMAIL);
    expect(chooseDestination(www, PRIMARY, click({ source: 'www.other.example' }))).to.equal(PRIMARY);
  });

  it('compares sources lower-cased', () => {
    const shouting = compileRules([{ priority: 1, destinationUrl: EMAIL, conditions: { sourceIn: ['EMAIL'] } }]);
    expect(chooseDestination(shouting, PRIMARY, click({ source: 'Email' }))).to.equal(EMAIL);
  });
});

describe('routing: priorities and conditions', () => {
  it('lets the lowest priority number win, whatever the order given', () => {
    const rules = compileRules([
      { priority: 50, destinationUrl: 'https://b.example/', conditions: {} },
      { priority: 5, destinationUrl: 'https://a.example/', conditions: {} },
    ]);
    expect(chooseDestination(rules, PRIMARY, click())).to.equal('https://a.example/');
    const negative = compileRules([
      { priority: 0, destinationUrl: 'https://zero.example/', conditions: {} },
      { priority: -5, destinationUrl: 'https://first.example/', conditions: {} },
    ]);
    expect(chooseDestination(negative, PRIMARY, click())).to.equal('https://first.example/');
  });

  it('keeps the given order between rules of equal priority', () => {
    const rules = compileRules([
      { priority: 7, destinationUrl: 'https://first.example/', conditions: {} },
      { priority: 7, destinationUrl: 'https://second.example/', conditions: {} },
      { priority: 1, destinationUrl: 'https://zero.example/', conditions: { countryIn: ['JP'] } },
    ]);
    expect(chooseDestination(rules, PRIMARY, click())).to.equal('https://first.example/');
    expect(rules.rules.map((r) => r.priority)).to.deep.equal([1, 7, 7]);
  });

  it('requires every present condition to hold', () => {
    const rules = compileRules([
      {
        priority: 1,
        destinationUrl: 'https://de-mobile.example/',
        conditions: { countryIn: ['DE', 'AT'], deviceIn: ['mobile'], languageIn: ['de'] },
      },
    ]);
    const german = { country: 'AT', device: 'mobile' as const, languages: ['de', 'en'] };
    expect(chooseDestination(rules, PRIMARY, click(german))).to.equal('https://de-mobile.example/');
    expect(chooseDestination(rules, PRIMARY, click({ ...german, device: 'desktop' }))).to.equal(PRIMARY);
    expect(chooseDestination(rules, PRIMARY, click({ ...german, country: 'CH' }))).to.equal(PRIMARY);
    expect(chooseDestination(rules, PRIMARY, click({ ...german, languages: ['fr'] }))).to.equal(PRIMARY);
    expect(chooseDestination(rules, PRIMARY, click({ ...german, languages: [] }))).to.equal(PRIMARY);
    // languageIn holds for the language the visitor prefers most, not for any it accepts.
    expect(chooseDestination(rules, PRIMARY, click({ ...german, languages: ['en', 'de'] }))).to.equal(PRIMARY);
  });

  it('languageIn: an English-first visitor who accepts a little German is not sent to the German page; a French-first one gets the French rule before a German one', () => {
    const rules = compileRules([
      { priority: 1, destinationUrl: 'https://de.example/', conditions: { languageIn: ['de'] } },
      { priority: 2, destinationUrl: 'https://fr.example/', conditions: { languageIn: ['fr'] } },
    ]);
    const visitor = (header: string) => click({ languages: languages(header) });
    expect(chooseDestination(rules, PRIMARY, visitor('en-US, de;q=0.1'))).to.equal(PRIMARY);
    expect(chooseDestination(rules, PRIMARY, visitor('fr-CA,fr;q=0.9,de;q=0.5'))).to.equal('https://fr.example/');
    expect(chooseDestination(rules, PRIMARY, visitor('de;q=0.4, fr;q=0.8'))).to.equal('https://fr.example/');
    expect(chooseDestination(rules, PRIMARY, visitor('de-AT'))).to.equal('https://de.example/');
  });

  it('evaluates a goal type\'s extra condition kinds', () => {
    const platformIn: ConditionKind = {
      schema: { type: 'array', items: { enum: ['ios', 'android'] } },
      matches: (value: string[], c) => value.includes(/iPhone/.test(c.userAgent) ? 'ios' : 'android'),
    };
    const rules = compileRules([{ priority: 1, destinationUrl: 'https://apps.apple.com/x', conditions: { platformIn: ['ios'] } }], { platformIn });
    expect(chooseDestination(rules, PRIMARY, click({ userAgent: 'Mozilla/5.0 (iPhone)' }))).to.equal('https://apps.apple.com/x');
    expect(chooseDestination(rules, PRIMARY, click({ userAgent: 'Mozilla/5.0 (Linux; Android 14)' }))).to.equal(PRIMARY);
  });

  it('never applies a rule it cannot evaluate: unknown kind, malformed value, throwing plugin', () => {
    const throwing: ConditionKind = { schema: {}, matches: () => { throw new Error('boom'); } };
    const rules = compileRules(
      [
        { priority: 1, destinationUrl: 'https://unknown.example/', conditions: { planetIn: ['mars'] } },
        { priority: 2, destinationUrl: 'https://malformed.example/', conditions: { countryIn: 'US' } },
        { priority: 3, destinationUrl: 'https://throws.example/', conditions: { flaky: true } },
      ],
      { flaky: throwing },
    );
    expect(chooseDestination(rules, PRIMARY, click())).to.equal(PRIMARY);
  });

  it('answers the fallback when there are no rules', () => {
    expect(chooseDestination(compileRules([]), PRIMARY, click())).to.equal(PRIMARY);
  });

  it('estimates the cost as one per rule plus one per condition entry', () => {
    expect(ruleCost(compileRules(seedRules))).to.equal(2 + 1 + 3);
    expect(ruleCost(compileRules([]))).to.equal(0);
  });
});

describe('routing: the routingRules schema', () => {
  // ajv-formats is CommonJS: under NodeNext its default import is the plugin function itself.
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  const validate = ajv.compile(routingRulesSchema({ platformIn: { type: 'array', items: { enum: ['ios', 'android'] } } }));
  const rule = (over: Record<string, unknown> = {}) => ({ priority: 1, destinationUrl: 'https://a.example/', conditions: {}, ...over });

  it('accepts the seed rules and a goal type\'s extra kind', () => {
    expect(validate(seedRules), JSON.stringify(validate.errors)).to.equal(true);
    expect(validate([rule({ conditions: { platformIn: ['ios'], countryIn: ['DE'] } })])).to.equal(true);
  });

  it('rejects unknown condition kinds and unknown rule fields', () => {
    expect(validate([rule({ conditions: { planetIn: ['mars'] } })])).to.equal(false);
    expect(validate([rule({ weight: 3 })])).to.equal(false);
  });

  it('bounds priorities, list sizes and values', () => {
    expect(validate([rule({ priority: -1 })]), 'API.md: priority is any int').to.equal(true);
    expect(validate([rule({ priority: -1_000_001 })])).to.equal(false);
    expect(validate([rule({ priority: 1.5 })])).to.equal(false);
    expect(validate([rule({ priority: 1_000_001 })])).to.equal(false);
    expect(validate(Array.from({ length: 51 }, () => rule()))).to.equal(false);
    expect(validate([rule({ conditions: { sourceIn: [] } })])).to.equal(false);
    expect(validate([rule({ conditions: { sourceIn: Array.from({ length: 51 }, (_, i) => `s${i}`) } })])).to.equal(false);
    expect(validate([rule({ conditions: { countryIn: ['de'] } })])).to.equal(false);
    expect(validate([rule({ conditions: { deviceIn: ['phone'] } })])).to.equal(false);
    expect(validate([rule({ conditions: { languageIn: ['en-US'] } })])).to.equal(false);
    expect(validate([rule({ destinationUrl: `https://example.com/${'a'.repeat(2048)}` })])).to.equal(false);
    // What is a URL is not the schema's (ajv's `format: uri` refused what browsers follow: https://münchen.example/):
    // the campaign's validation parses each rule's destination as a browser does, after the schema.
    expect(validate([rule({ destinationUrl: 'https://münchen.example/größe' })])).to.equal(true);
    expect(destinationProblem('not a url', '/x')).to.deep.equal({ pointer: '/x', message: 'must be an absolute http or https URL' });
  });

  it('exposes each built-in condition schema', () => {
    expect(Object.keys(builtinConditionSchemas)).to.deep.equal(['sourceIn', 'countryIn', 'deviceIn', 'languageIn']);
  });

  it('refuses a plugin kind that would redefine a built-in one', () => {
    expect(() => routingRulesSchema({ sourceIn: {} })).to.throw(/sourceIn/);
  });
});

describe('routing: appending the ctx token', () => {
  it('adds ctx to a destination without a query', () => {
    expect(appendCtx('https://m.example/p', 'ctx', 'tok')).to.equal('https://m.example/p?ctx=tok');
    expect(appendCtx('https://m.example/p?', 'ctx', 'tok')).to.equal('https://m.example/p?ctx=tok');
    expect(appendCtx('https://m.example/p?ref=a&', 'ctx', 'tok')).to.equal('https://m.example/p?ref=a&ctx=tok');
  });

  it('keeps the destination\'s own query byte for byte and the fragment last', () => {
    expect(appendCtx('https://m.example/p?ref=alpha&q=a%20b+c&flag#reviews?x=1', 'ctx', 'tok')).to.equal(
      'https://m.example/p?ref=alpha&q=a%20b+c&flag&ctx=tok#reviews?x=1',
    );
    expect(appendCtx('https://m.example/p#top', 'ctx', 'tok')).to.equal('https://m.example/p?ctx=tok#top');
  });

  it('replaces an existing parameter of the same name', () => {
    expect(appendCtx('https://m.example/p?ctx=old&ref=a&ctx=older#f', 'ctx', 'new')).to.equal('https://m.example/p?ref=a&ctx=new#f');
    expect(appendCtx('https://m.example/p?c%74x=old&ctxx=keep', 'ctx', 'new')).to.equal('https://m.example/p?ctxx=keep&ctx=new');
  });

  it('encodes the parameter and the token', () => {
    expect(appendCtx('https://m.example/', 'tenx ctx', 'a/b=')).to.equal('https://m.example/?tenx%20ctx=a%2Fb%3D');
  });

  it('leaves exactly one ctx that URL parsers read back, for any destination', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_-]{1,200}$/);
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), token, (url, tok) => {
        const out = new URL(appendCtx(url, 'ctx', tok));
        const before = new URL(url);
        expect(out.searchParams.getAll('ctx')).to.deep.equal([tok]);
        expect(out.hash).to.equal(before.hash);
        expect(out.origin + out.pathname).to.equal(before.origin + before.pathname);
      }),
    );
  });
});

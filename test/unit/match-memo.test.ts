import Router, { type MatchResult } from '@koa/router';
import { expect } from 'chai';
import { memoizeMatch } from '../../core/http/match-memo.ts';

function routes(): Router {
  const r = new Router();
  const ok = () => undefined;
  r.get('/v2/handles/:handle/campaigns', ok);
  r.post('/v2/handles/:handle/campaigns', ok);
  r.get('/v2/handles/:handle/campaigns/:campaignId', ok);
  r.patch('/v2/handles/:handle/campaigns/:campaignId', ok);
  r.post('/v2/public/conversions', ok);
  r.get('/healthz', ok);
  return r;
}

const paths = (m: MatchResult) => ({ path: m.path.map((l) => l.path), pathAndMethod: m.pathAndMethod.map((l) => l.path), route: m.route });

describe('router match memo', () => {
  const requests: [string, string][] = [
    ['/v2/public/conversions', 'POST'], ['/v2/public/conversions', 'GET'], ['/v2/handles/acme/campaigns', 'GET'],
    ['/v2/handles/acme/campaigns', 'post'], ['/v2/handles/acme/campaigns/spring', 'PATCH'], ['/v2/handles/acme/campaigns/spring', 'DELETE'],
    ['/v2/handles/acme/campaigns/spring/extra', 'GET'], ['/nowhere', 'GET'], ['/healthz', 'HEAD'],
  ];

  it("answers as the router's own match, the first time and again", () => {
    const plain = routes();
    const memo = memoizeMatch(routes());
    for (let round = 0; round < 3; round++) {
      for (const [path, method] of requests) expect(paths(memo.match(path, method)), `${method} ${path}`).to.deep.equal(paths(plain.match(path, method)));
    }
  });

  it('gives every request its own arrays: what one request adds is not in the next answer', () => {
    const memo = memoizeMatch(routes());
    const first = memo.match('/v2/public/conversions', 'POST');
    first.path.push(first.path[0]);
    first.pathAndMethod.length = 0;
    const second = memo.match('/v2/public/conversions', 'POST');
    expect(second.path).to.have.length(1);
    expect(second.pathAndMethod).to.have.length(1);
    expect(second.route).to.equal(true);
  });
});

import type Router from '@koa/router';
import { memoizeByString } from '../infra/string-memo.ts';
import { RESERVED_HANDLES } from './handle.ts';

const RESERVED = new Set(RESERVED_HANDLES);
/** The short-link route, as Koa's router spells it. */
const SHORT_LINK = '/:handle/:slug';
type Match = ReturnType<Router['match']>;

/**
 * A reserved first segment (`/v2/handles`) is never a short link: the redirect answers it 404, so its GET and HEAD are
 * not methods of that path. Left in the match, they were listed in a 405's `Allow` (PUT /v2/handles: "POST, HEAD,
 * GET", where GET is a 404) and in OPTIONS.
 */
function withoutShortLink(m: Match, path: string): Match {
  // Lower case: the router matches paths case-insensitively (PUT /V2/handles is PUT /v2/handles).
  if (!RESERVED.has((path.split('/', 2)[1] ?? '').toLowerCase())) return m;
  const keep = (layer: Match['path'][number]) => layer.path !== SHORT_LINK;
  const pathAndMethod = m.pathAndMethod.filter(keep);
  return { path: m.path.filter(keep), pathAndMethod, route: pathAndMethod.some((layer) => layer.methods.length > 0) };
}

/**
 * @koa/router's match() tests every route's regexp in turn on every request (the whole route table, all
 * methods): 4.7 % of a conversion's process CPU in the on-CPU profile, more than its body parsing. Its
 * answer depends on the method and path alone once the routes are mounted, so it is kept per
 * `METHOD path` (bounded; ids in paths only cycle through). Each request gets its own arrays: the
 * router stores them on the context, where later middleware may add to them.
 */
export function memoizeMatch(router: Router): Router {
  const match = router.match.bind(router);
  const known = memoizeByString(
    (key) => {
      const space = key.indexOf(' ');
      const path = key.slice(space + 1);
      return withoutShortLink(match(path, key.slice(0, space)), path);
    },
    { size: 4096, maxKeyLength: 1024 },
  );
  router.match = (path, method) => {
    const m = known(`${method} ${path}`);
    return { path: [...m.path], pathAndMethod: [...m.pathAndMethod], route: m.route };
  };
  return router;
}

import type Router from '@koa/router';
import { memoizeByString } from '../infra/string-memo.ts';

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
      return match(key.slice(space + 1), key.slice(0, space));
    },
    { size: 4096, maxKeyLength: 1024 },
  );
  router.match = (path, method) => {
    const m = known(`${method} ${path}`);
    return { path: [...m.path], pathAndMethod: [...m.pathAndMethod], route: m.route };
  };
  return router;
}

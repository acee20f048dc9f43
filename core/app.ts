import Koa from 'koa';
import type { AwilixContainer } from 'awilix';
import type { Logger } from 'pino';
import { monomorphicResponseAccessors } from './http/context-accessors.ts';
import { requestEnvelope } from './http/envelope.ts';
import { buildRouter } from './http/router.ts';
import type { RouteDef } from './http/route.ts';

/** The Koa app: cross-cutting middleware in one visible order, then the route table. */
export function buildApp(container: AwilixContainer, routes: RouteDef[]): Koa {
  const log = container.resolve<Logger>('log');
  const app = new Koa();
  app.silent = true;
  monomorphicResponseAccessors(app.context);
  app.use(requestEnvelope(log));
  const router = buildRouter(routes, container);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

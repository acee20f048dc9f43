import { asClass, asFunction } from 'awilix';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { Bus } from '../infra/bus.ts';
import type { TenxModule } from '../module.ts';
import { analyticsRoutes } from './routes.ts';
import { AnalyticsService } from './service.ts';
import { AnalyticsStreams } from './stream.ts';

// What other modules use of analytics (the partner realm answers with the same views).
export { answerAnalytics, answerExport, answerStream, type ViewQuery } from './serve.ts';
export { analyticsQueryOf, analyticsResponse, exportQueryOf } from './schemas.ts';
export type { AnalyticsService } from './service.ts';
export type { AnalyticsStreams } from './stream.ts';

type Cradle = { pg: Pool; bus: Bus; log: Logger; config: Config; analytics: AnalyticsService };

export const analyticsModule: TenxModule = {
  name: 'analytics',
  register(container) {
    container.register({
      analytics: asClass(AnalyticsService).singleton(),
      analyticsStreams: asFunction(
        ({ pg, bus, log, config, analytics }: Cradle) =>
          new AnalyticsStreams({
            pg, bus, log,
            heartbeatMs: config.analyticsSseHeartbeatMs,
            pollMs: config.analyticsSsePollMs,
            loadFunnel: (handle, campaignIds, partnerId) => analytics.funnelOf(handle, campaignIds, partnerId),
          }),
      ).singleton(),
    });
  },
  routes: () => analyticsRoutes,
  start({ analyticsStreams }) {
    (analyticsStreams as AnalyticsStreams).start();
  },
  stop({ analyticsStreams }) {
    (analyticsStreams as AnalyticsStreams).stop();
  },
};

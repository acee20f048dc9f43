import { asClass, asFunction } from 'awilix';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { createPool } from '../db/pool.ts';
import type { Bus } from '../infra/bus.ts';
import type { TenxModule } from '../module.ts';
import { analyticsRoutes } from './routes.ts';
import { AnalyticsService } from './service.ts';
import { AnalyticsStreams } from './stream.ts';

// What other modules use of analytics (the partner realm answers with the same views).
export { answerAnalytics, answerExport, answerStream, type ViewQuery } from './serve.ts';
export { analyticsQueryOf, analyticsResponse, exportQueryOf } from './schemas.ts';
export type { AnalyticsService } from './service.ts';
export { csvRow, ndjsonRow } from './csv.ts';
// The send timeout of exports, which other downloads that hold a connection while they are read use too.
export { ExportPace, ExportStalled, type PaceLimits } from './export-pace.ts';
// The rollups the click flush and the conversion claim write in their own statements.
export { clickRollupCtes, conversionRollupCtes, conversionRollupCtesBefore0021 } from './rollup-sql.ts';
export type { AnalyticsStreams } from './stream.ts';
// What the partner realm builds on: groupBy=sub1..sub5 (its routes take it like the handle's).
export { isSubIdGroupBy, SUB_ID_GROUP_BY, type SubIdGroupBy } from './sub-id-group-by.ts';

type Cradle = { pg: Pool; pgRead: Pool; bus: Bus; log: Logger; config: Config; analytics: AnalyticsService };

export const analyticsModule: TenxModule = {
  name: 'analytics',
  register(container) {
    container.register({
      // Exports hold a connection for as long as their reader reads: they get a pool of their own,
      // so slow readers can never take the connections every other request needs. Read-only: on
      // DATABASE_READ_URL when set (pgRead is the main pool otherwise).
      exportPool: asFunction(({ pgRead, config, log }: Cradle) =>
        createPool(pgRead.options.connectionString!, config.exportMaxConcurrent, log, 'tenx-export'),
      ).singleton(),
      analytics: asClass(AnalyticsService).singleton(),
      analyticsStreams: asFunction(
        ({ pg, pgRead, bus, log, config, analytics }: Cradle) =>
          new AnalyticsStreams({
            // Token checks on the primary (a revocation ends a stream at once); change polls on the read pool.
            pg, pgRead, bus, log,
            heartbeatMs: config.analyticsSseHeartbeatMs,
            pollMs: config.analyticsSsePollMs,
            caps: { perToken: config.analyticsSseMaxPerToken, perHandle: config.analyticsSseMaxPerHandle },
            loadFunnel: (handle, campaignIds, partnerId) => analytics.funnelOf(handle, campaignIds, partnerId),
          }),
      ).singleton(),
    });
  },
  routes: () => analyticsRoutes,
  start({ analyticsStreams }) {
    (analyticsStreams as AnalyticsStreams).start();
  },
  async stop({ analyticsStreams, exportPool }) {
    (analyticsStreams as AnalyticsStreams).stop();
    await (exportPool as Pool).end();
  },
};

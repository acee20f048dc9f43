import type { TenxModule } from '../module.ts';
import { loadAssets } from './assets.ts';
import { dashboardRoutes } from './routes.ts';

/** Serves the partner dashboard: plain ES modules from ./public, no build step. */
export const dashboardModule: TenxModule = {
  name: 'dashboard',
  routes: () => dashboardRoutes(loadAssets()),
};

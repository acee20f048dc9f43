import type { TenxModule } from '../module.ts';
import { pluginRoutes } from './routes.ts';

/** The plugin host itself is kernel infrastructure (see core/container.ts); this module is its API. */
export const pluginsModule: TenxModule = {
  name: 'plugins',
  routes: () => pluginRoutes,
};

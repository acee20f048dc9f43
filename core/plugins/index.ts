import type { TenxModule } from '../module.ts';
import { pluginRoutes } from './routes.ts';

// What other modules use: the host that holds each handle's active plugins, the loader (the redirect's
// offload workers load goal types themselves) and the SDK's types (core/plugins/sdk.ts, the plugins' own door).
export type { ActivePlugin, HandlePlugins, PluginHost } from './host.ts';
export { builtinPluginPaths, loadPlugin } from './loader.ts';
export { pluginText } from './plugin-text.ts';
export type * from './sdk.ts';

/** The plugin host itself is kernel infrastructure (see core/container.ts); this module is its API. */
export const pluginsModule: TenxModule = {
  name: 'plugins',
  routes: () => pluginRoutes,
};

import { createJsonPoster, pluginPostJson } from '../../core/notifications/http-delivery.ts';
import type { PluginApi } from '../../core/plugins/sdk.ts';

/**
 * A PluginApi whose postJson is the kernel's own guarded poster under the given policy, for unit
 * tests of channel plugins; `warnings` collects what the plugin and the guard logged.
 */
export function guardedPluginApi(allowPrivate: boolean, warnings: object[] = []) {
  const poster = createJsonPoster();
  const log: PluginApi['log'] = { info() {}, warn: (obj) => { warnings.push(obj); } };
  const api: PluginApi = {
    handle: 'acme',
    incrementCounter: async () => 1,
    postJson: pluginPostJson(poster, { allowPrivate, allowedPorts: [80, 443, 8443], timeoutMs: 2000 }, log),
    log,
  };
  return { api, warnings, close: () => poster.close() };
}

/** For plugins that must not post in a test: every send is refused. */
export const noPosting: PluginApi['postJson'] = async () => ({ ok: false, latencyMs: 0, error: 'endpoint_not_allowed' });

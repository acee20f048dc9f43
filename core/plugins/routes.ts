import type { Pool } from 'pg';
import { defineRoutes, type Principal } from '../http/route.ts';
import { invalidRequest, notFound } from '../http/errors.ts';
import { handleParam } from '../http/handle.ts';
import type { AuditService } from '../audit/index.ts';
import { withTransaction } from '../db/transaction.ts';
import { KIND_GROUPS, type ActivePlugin, type PluginHost } from './host.ts';

type Deps = { pluginHost: PluginHost; pg: Pool; audit: AuditService; principal: Principal };

const describe = (p: ActivePlugin) => ({
  name: p.manifest.name,
  version: p.manifest.version,
  kind: p.manifest.kind,
  description: p.manifest.description ?? null,
  enabled: p.enabled,
  settings: p.settings,
  settingsSchema: p.manifest.settingsSchema ?? null,
  // What a conversion of such a campaign may report, and so what a reward rule may pay (the dashboard suggests them).
  eventTypes: p.manifest.kind === 'goal-type' ? p.manifest.eventTypes : null,
});

const pluginEntry = {
  title: 'Plugin',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'kind', 'description', 'enabled', 'settings', 'settingsSchema', 'eventTypes'],
  properties: {
    name: { type: 'string' }, version: { type: 'string' }, kind: { type: 'string' }, enabled: { type: 'boolean' },
    settings: { type: 'object' }, settingsSchema: { type: ['object', 'null'] }, description: { type: ['string', 'null'] },
    eventTypes: { type: ['array', 'null'], items: { type: 'string' }, description: "A goal type's conversion event types (null for other kinds)." },
  },
};

const pluginParams = { type: 'object', properties: { handle: handleParam, name: { type: 'string', maxLength: 64 } } } as const;

/** A registered plugin as it applies to the handle (enabled or not, its settings); 404 for a name no plugin has. */
async function activePlugin(pluginHost: PluginHost, handle: string, name: string): Promise<ActivePlugin> {
  if (!pluginHost.get(name)) throw notFound(`Plugin "${name}"`);
  return (await pluginHost.forHandle(handle)).all.find((p) => p.manifest.name === name)!;
}

export const pluginRoutes = defineRoutes([
  {
    method: 'GET',
    path: '/v2/handles/{handle}/plugins',
    summary: 'Registered plugins by kind, with whether each is enabled for this handle and its settings',
    tags: ['plugins'],
    auth: { scope: 'plugins.read' },
    params: { type: 'object', properties: { handle: handleParam } },
    responses: {
      200: {
        description: 'Plugins by kind',
        schema: {
          title: 'PluginsByKind',
          type: 'object',
          additionalProperties: false,
          required: Object.values(KIND_GROUPS),
          properties: Object.fromEntries(Object.values(KIND_GROUPS).map((g) => [g, { type: 'array', items: pluginEntry }])),
        },
      },
    },
    async handler(ctx, { pluginHost }: Deps) {
      const active = await pluginHost.forHandle(ctx.params.handle);
      const body: Record<string, unknown[]> = Object.fromEntries(Object.values(KIND_GROUPS).map((g) => [g, []]));
      for (const p of active.all) body[KIND_GROUPS[p.manifest.kind]].push(describe(p));
      ctx.body = body;
    },
  },
  {
    // Beyond API.md: one plugin as the list gives it (an integrator asked GET …/plugins/{name} and got 405).
    method: 'GET',
    path: '/v2/handles/{handle}/plugins/{name}',
    summary: 'One registered plugin, with whether it is enabled for this handle and its settings',
    tags: ['plugins'],
    auth: { scope: 'plugins.read' },
    params: pluginParams,
    responses: { 200: { description: 'The plugin as it applies to this handle', schema: pluginEntry } },
    async handler(ctx, { pluginHost }: Deps) {
      ctx.body = describe(await activePlugin(pluginHost, ctx.params.handle, ctx.params.name));
    },
  },
  {
    method: 'PUT',
    path: '/v2/handles/{handle}/plugins/{name}',
    summary: "Enable or disable a plugin for this handle and set its settings (validated by the plugin's schema)",
    tags: ['plugins'],
    auth: { scope: 'plugins.write' },
    params: pluginParams,
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled'],
      properties: { enabled: { type: 'boolean' }, settings: { type: 'object' } },
    },
    // The settings judged by the plugin's schema beside a malformed `enabled` (a plugin this server has, that is).
    moreBodyProblems: (body, ctx, { pluginHost }: Deps) => {
      const settings = (body as { settings?: unknown } | null)?.settings;
      const object = settings && typeof settings === 'object' && !Array.isArray(settings);
      return object && pluginHost.get(ctx.params.name) ? pluginHost.settingsProblems(ctx.params.name, settings) : [];
    },
    responses: { 200: { description: 'The plugin as it now applies to this handle', schema: pluginEntry } },
    async handler(ctx, { pluginHost, pg, audit, principal }: Deps) {
      const { handle, name } = ctx.params;
      const current = await activePlugin(pluginHost, handle, name);
      const body = ctx.request.body as { enabled: boolean; settings?: Record<string, unknown> };
      const settings = body.settings ?? current.settings;
      // What is sent is checked; stored settings are re-checked only against a schema (a schema-less plugin's stay as they are).
      const problems = pluginHost.settingsProblems(name, body.settings ?? (current.manifest.settingsSchema ? current.settings : undefined));
      if (problems.length) throw invalidRequest(`The settings are not valid for plugin "${name}".`, problems);
      await withTransaction(pg, async (client) => {
        await client.query(
          `insert into plugin_settings (handle, plugin_name, enabled, settings, updated_at) values ($1, $2, $3, $4, now())
           on conflict (handle, plugin_name) do update set enabled = excluded.enabled, settings = excluded.settings, updated_at = now()`,
          [handle, name, body.enabled, JSON.stringify(settings)],
        );
        await audit.record({
          handle, type: 'plugin.settings_changed', actor: principal.actor, subjectId: name,
          payload: { before: { enabled: current.enabled, settings: current.settings }, after: { enabled: body.enabled, settings } },
        }, client);
      });
      pluginHost.invalidate(handle);
      ctx.body = describe(await activePlugin(pluginHost, handle, name));
    },
  },
]);

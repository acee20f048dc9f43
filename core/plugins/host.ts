import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { Bus } from '../infra/bus.ts';
import type { Counters } from '../infra/counters.ts';
import { isNothing, toDetails } from '../http/validate.ts';
import type { TenantFile } from './tenant-files.ts';
import type {
  BotDetectorPlugin, GoalTypePlugin, NotificationChannelPlugin, PluginApi, PluginKind, PluginManifest, TrackingPresetPlugin,
} from './sdk.ts';

export interface ActivePlugin<M extends PluginManifest = PluginManifest> {
  manifest: M;
  enabled: boolean;
  settings: Record<string, any>;
}

/** The plugins one handle runs with: defaults, overlaid by tenants/<handle>.json, overlaid by the database. */
export interface HandlePlugins {
  handle: string;
  all: ActivePlugin[];
  api: PluginApi;
  goalType(name: string): ActivePlugin<GoalTypePlugin> | undefined;
  trackingPreset(name: string): ActivePlugin<TrackingPresetPlugin> | undefined;
  botDetectors: ActivePlugin<BotDetectorPlugin>[];
  channel(name: string): ActivePlugin<NotificationChannelPlugin> | undefined;
}

export const KIND_GROUPS: Record<PluginKind, string> = {
  'goal-type': 'goalTypes',
  'tracking-preset': 'trackingPresets',
  'bot-detector': 'botDetectors',
  'notification-channel': 'notificationChannels',
};

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const CHANNEL = 'plugins.changed';

export class PluginHost {
  readonly manifests: PluginManifest[];
  private readonly byName = new Map<string, PluginManifest>();
  private readonly settingsValidators = new Map<string, ValidateFunction>();
  private readonly cache = new Map<string, Promise<HandlePlugins>>();
  // The settled entries of `cache`, for the click path's synchronous read.
  private readonly resolved = new Map<string, HandlePlugins>();
  private readonly deps: {
    orm: { em: EntityManager }; bus: Bus; counters: Counters; log: Logger; tenantFiles: Map<string, TenantFile>;
    /** Where the tenant files were read (TENANTS_DIR), to name a file in an error. */
    tenantsDir?: string;
    /** The guarded PluginApi.postJson, bound to a handle's logger (core/notifications/http-delivery.ts pluginPostJson). */
    postJson: (log: PluginApi['log']) => PluginApi['postJson'];
  };

  constructor(manifests: PluginManifest[], deps: PluginHost['deps']) {
    this.manifests = manifests;
    this.deps = deps;
    for (const m of manifests) {
      this.byName.set(m.name, m);
      if (m.settingsSchema) this.settingsValidators.set(m.name, ajv.compile(m.settingsSchema));
    }
    deps.bus.subscribe(CHANNEL, (msg: { handle: string }) => {
      this.cache.delete(msg.handle);
      this.resolved.delete(msg.handle);
    });
    // Plugin settings changed while the bus was down went unannounced: resolve every handle again.
    deps.bus.onResume(() => {
      this.cache.clear();
      this.resolved.clear();
    });
  }

  get(name: string): PluginManifest | undefined {
    return this.byName.get(name);
  }

  /** Validates settings against the plugin's own schema; returns problems (empty when valid). */
  settingsProblems(name: string, settings: unknown): { pointer: string; message: string }[] {
    const validate = this.settingsValidators.get(name);
    // A plugin without a settingsSchema reads no settings: anything sent would be stored and silently ignored.
    if (!validate) {
      return isNothing(settings) ? [] : [{ pointer: '/body/settings', message: 'this plugin takes no settings (it declares no settingsSchema): send {} or leave settings out' }];
    }
    if (validate(settings)) return [];
    // toDetails names the offending key (a typo'd setting is `/body/settings/maxClicksPerMinut: is not a known field`).
    return toDetails(validate.errors, '/body/settings');
  }

  /** Checks the tenant files against the registered plugins; throws naming the file and plugin. */
  checkTenantFiles(): void {
    for (const [handle, file] of this.deps.tenantFiles) {
      const path = join(this.deps.tenantsDir ?? 'tenants', `${handle}.json`);
      for (const [name, cfg] of Object.entries(file.plugins ?? {})) {
        if (!this.byName.has(name)) throw new Error(`${path} names unknown plugin "${name}"`);
        const problems = cfg.settings ? this.settingsProblems(name, cfg.settings) : [];
        if (problems.length) throw new Error(`${path}: settings of "${name}" ${problems.map((p) => p.pointer.replace('/body/settings', '') + ' ' + p.message).join('; ')}`);
      }
    }
  }

  forHandle(handle: string): Promise<HandlePlugins> {
    let entry = this.cache.get(handle);
    if (!entry) {
      const pending = this.resolve(handle);
      this.cache.set(handle, (entry = pending));
      pending.then(
        (plugins) => {
          if (this.cache.get(handle) === pending) this.resolved.set(handle, plugins);
        },
        () => {
          if (this.cache.get(handle) === pending) this.cache.delete(handle);
        },
      );
    }
    return entry;
  }

  /** The handle's plugins if this process has them resolved and current, else undefined (then use forHandle). */
  peek(handle: string): HandlePlugins | undefined {
    return this.resolved.get(handle);
  }

  /** Call after a handle's plugin settings changed: every process re-resolves within the bus latency. */
  invalidate(handle: string): void {
    this.deps.bus.publish(CHANNEL, { handle });
  }

  /** Every plugin's close(), each on its own: one that throws is logged and the others still release theirs. */
  async close(): Promise<void> {
    for (const m of this.manifests) {
      try {
        await m.close?.();
      } catch (err) {
        this.deps.log.warn({ err, plugin: m.name }, 'plugin close() failed');
      }
    }
  }

  private async resolve(handle: string): Promise<HandlePlugins> {
    const rows: { plugin_name: string; enabled: boolean; settings: Record<string, unknown> }[] = await this.deps.orm.em
      .fork()
      .getConnection()
      .execute('select plugin_name, enabled, settings from plugin_settings where handle = ?', [handle]);
    const stored = new Map(rows.map((r) => [r.plugin_name, r]));
    const file = this.deps.tenantFiles.get(handle)?.plugins ?? {};
    const all: ActivePlugin[] = this.manifests.map((manifest) => {
      const fromFile = file[manifest.name];
      const fromDb = stored.get(manifest.name);
      return {
        manifest,
        enabled: fromDb?.enabled ?? fromFile?.enabled ?? manifest.enabledByDefault ?? true,
        settings: { ...(manifest.defaultSettings ?? {}), ...(fromFile?.settings ?? {}), ...(fromDb?.settings ?? {}) },
      };
    });
    // Looked up per click (tracking presets, detectors): grouped once per resolution.
    const byKind = new Map<PluginKind, ActivePlugin[]>();
    for (const p of all) if (p.enabled) byKind.set(p.manifest.kind, [...(byKind.get(p.manifest.kind) ?? []), p]);
    const named = (kind: PluginKind, name: string) => byKind.get(kind)?.find((p) => p.manifest.name === name);
    const { counters, log } = this.deps;
    const handleLog = log.child({ handle });
    const api: PluginApi = {
      handle,
      incrementCounter: (key, windowSeconds) => counters.increment(`${handle}:${key}`, windowSeconds),
      postJson: this.deps.postJson(handleLog),
      log: handleLog,
    };
    return {
      handle,
      all,
      api,
      goalType: (name) => named('goal-type', name) as ActivePlugin<GoalTypePlugin> | undefined,
      trackingPreset: (name) => named('tracking-preset', name) as ActivePlugin<TrackingPresetPlugin> | undefined,
      botDetectors: (byKind.get('bot-detector') ?? []) as ActivePlugin<BotDetectorPlugin>[],
      channel: (name) => named('notification-channel', name) as ActivePlugin<NotificationChannelPlugin> | undefined,
    };
  }
}

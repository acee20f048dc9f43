// `tenx plugins list|show|enable|disable|set`: which goal types, tracking presets, bot detectors and notification
// channels a handle uses, and their settings (GET and PUT /v2/handles/{handle}/plugins, plugins.read / plugins.write).
// The API replaces a plugin's settings whole: `set` and `enable --set` read the current ones and change only the keys given.
import { Option, type Command } from 'commander';
import { withClient, type TenxClient } from './client.ts';
import { ApiError, UsageError, withHint } from './errors.ts';
import { action, examples, printJson, printTable } from './output.ts';

interface Plugin {
  name: string;
  version: string;
  kind: string;
  description: string | null;
  enabled: boolean;
  settings: Record<string, unknown>;
  settingsSchema: { properties?: Record<string, { type?: unknown; description?: string; minimum?: number; maximum?: number; enum?: unknown[] }> } | null;
  eventTypes: string[] | null;
}

const KINDS = ['goal-type', 'tracking-preset', 'bot-detector', 'notification-channel'];

async function plugins(c: TenxClient): Promise<Plugin[]> {
  const byKind: Record<string, Plugin[]> = await c.get(c.handlePath('/plugins'));
  return Object.values(byKind).flat();
}

/**
 * The API's 404 for a plugin this server does not have (`Plugin "nope" not found.`), with where to see those it has: the
 * same sentence and exit 1 whether the CLI found it missing from the list (show, set) or the API's PUT did (enable,
 * disable), as for any other id (`campaigns get nope`). `show` said it as a usage error (exit 2), `disable` as the API's.
 */
function unknownPlugin(err: unknown): unknown {
  if (!(err instanceof ApiError && err.status === 404 && err.message.startsWith('Plugin "'))) return err;
  return withHint(err, '`tenx plugins list` shows the plugins this server has.');
}

async function plugin(c: TenxClient, name: string): Promise<Plugin> {
  const found = (await plugins(c)).find((p) => p.name === name);
  if (!found) throw unknownPlugin(new ApiError(404, 'not_found', `Plugin "${name}" not found.`));
  return found;
}

/**
 * `key=value` pairs as settings: a value that reads as JSON is that (30, true, ["a","b"], {"x":1}, null), anything else
 * a string (`label=Spring sale`); a key the plugin's schema types as a string is always the text (`username=1234`).
 * Keys may not repeat.
 */
export function parseSettings(pairs: string[], schema: Plugin['settingsSchema'] = null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`"${pair}" is not key=value (e.g. maxClicksPerMinute=60)`);
    const key = pair.slice(0, at);
    if (Object.hasOwn(out, key)) throw new UsageError(`${key} is given twice`);
    const raw = pair.slice(at + 1);
    if ([schema?.properties?.[key]?.type].flat().includes('string')) {
      out[key] = raw;
      continue;
    }
    try {
      out[key] = JSON.parse(raw);
    } catch {
      out[key] = raw;
    }
  }
  return out;
}

const compact = (v: unknown) => (v && typeof v === 'object' && !Object.keys(v).length ? '-' : JSON.stringify(v));

function describe(p: Plugin): string {
  const lines = [
    `${p.name} ${p.version}  (${p.kind}, ${p.enabled ? 'enabled' : 'disabled'})`,
    ...(p.description ? [`  ${p.description}`] : []),
    ...(p.eventTypes ? [`  event types: ${p.eventTypes.join(', ')}`] : []),
    `  settings: ${compact(p.settings)}`,
  ];
  const properties = Object.entries(p.settingsSchema?.properties ?? {});
  if (properties.length) {
    lines.push('  settings it takes:');
    for (const [key, s] of properties) {
      const range = [s.minimum !== undefined && `≥ ${s.minimum}`, s.maximum !== undefined && `≤ ${s.maximum}`, s.enum && `one of ${s.enum.join(', ')}`].filter(Boolean).join(', ');
      lines.push(`    ${key}${s.type ? ` (${[s.type].flat().join('|')}${range ? `, ${range}` : ''})` : ''}${s.description ? `: ${s.description}` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * PUT with the plugin's settings merged with the pairs given (top-level keys: a map or list given is replaced whole);
 * `enabled` as given, else as it is. Enabling or disabling without pairs sends `enabled` alone (plugins.write is
 * enough: the API keeps the settings); anything else reads the plugin first (plugins.read too).
 */
async function put(c: TenxClient, name: string, enabled: boolean | undefined, pairs: string[]): Promise<Plugin> {
  const path = c.handlePath(`/plugins/${encodeURIComponent(name)}`);
  if (enabled !== undefined && !pairs.length) {
    try {
      return await c.put<Plugin>(path, { enabled });
    } catch (err) {
      throw unknownPlugin(err);
    }
  }
  const current = await plugin(c, name);
  const changes = parseSettings(pairs, current.settingsSchema);
  return c.put(path, { enabled: enabled ?? current.enabled, settings: { ...current.settings, ...changes } });
}

export function registerPluginCommands(program: Command) {
  const cmd = program
    .command('plugins')
    .description("the handle's goal types, tracking presets, bot detectors and notification channels: list, enable, disable, settings (plugins.read / plugins.write)");

  cmd
    .command('list')
    .description('every plugin the server has, whether this handle uses it, and its settings (plugins.read)')
    .addOption(new Option('--kind <kind>', 'only plugins of this kind').choices(KINDS))
    .option('--json', 'print the raw JSON')
    .action(
      action(async (o: { kind?: string; json?: boolean }) => {
        await withClient(async (c) => {
          const rows = (await plugins(c)).filter((p) => !o.kind || p.kind === o.kind);
          if (o.json) return printJson(rows);
          printTable(rows, [
            { header: 'KIND', value: (p) => p.kind },
            { header: 'NAME', value: (p) => p.name },
            { header: 'VERSION', value: (p) => p.version },
            { header: 'ENABLED', value: (p) => (p.enabled ? 'yes' : 'no') },
            { header: 'SETTINGS', value: (p) => compact(p.settings) },
          ], 'no plugins');
        });
      }),
    );

  cmd
    .command('show')
    .description('one plugin: what it does, its settings and the settings it takes (plugins.read)')
    .argument('<name>', 'the plugin, e.g. burst')
    .option('--json', 'print the raw JSON')
    .action(
      action(async (name: string, o: { json?: boolean }) => {
        await withClient(async (c) => {
          const p = await plugin(c, name);
          if (o.json) return printJson(p);
          process.stdout.write(describe(p));
        });
      }),
    );

  const change = (verb: string, enabled: boolean | undefined, what: string, help: string) =>
    cmd
      .command(verb)
      .description(`${what} (plugins.write; with settings, plugins.read too)`)
      .argument('<name>', 'the plugin, e.g. burst')
      .argument(enabled === undefined ? '<key=value...>' : '[key=value...]', 'settings to change; the others stay (a value is read as JSON when it can be, unless the setting is text; a map or list given replaces the whole one)')
      .option('--json', 'print the plugin as JSON afterwards')
      .addHelpText('after', help)
      .action(
        action(async (name: string, pairs: string[], o: { json?: boolean }) => {
          parseSettings(pairs ?? []); // a pair that is not key=value is a usage error before any request
          await withClient(async (c) => {
            const p = await put(c, name, enabled, pairs ?? []);
            if (o.json) return printJson(p);
            process.stdout.write(describe(p));
          });
        }),
      );

  change('enable', true, 'use a plugin on this handle, optionally changing settings', examples('tenx plugins enable burst maxClicksPerMinute=60'));
  change('disable', false, 'stop using a plugin on this handle (its settings are kept)', examples('tenx plugins disable link-preview'));
  change('set', undefined, "change a plugin's settings, enabled or not", examples('tenx plugins set burst maxClicksPerMinute=120', 'tenx plugins set partner_segment \'bySource={"email":"newsletter"}\''));
}

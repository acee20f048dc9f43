import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { manifestProblems } from './manifest.ts';
import type { PluginManifest } from './sdk.ts';

export class PluginLoadError extends Error {}

export const BUILTIN_KIND_DIRS = ['goal-types', 'tracking-presets', 'bot-detectors', 'notification-channels'];

/** The built-in plugins: every plugins/<kind>/<name>/index.ts. */
export function builtinPluginPaths(root: string): string[] {
  const out: string[] = [];
  for (const kind of BUILTIN_KIND_DIRS) {
    const dir = resolve(root, 'plugins', kind);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const file = ['index.ts', 'index.js'].map((f) => resolve(dir, entry.name, f)).find(existsSync);
      if (file) out.push(file);
    }
  }
  return out;
}

/** Imports and validates one plugin by path or package name; a bad one is named in the error. */
export async function loadPlugin(spec: string, cwd: string): Promise<PluginManifest> {
  const isPath = spec.startsWith('.') || isAbsolute(spec);
  const target = isPath ? pathToFileURL(resolve(cwd, spec)).href : spec;
  let mod: { default?: unknown };
  try {
    mod = await import(target);
  } catch (err) {
    // Node strips types everywhere but under node_modules: a package must ship JavaScript.
    if ((err as NodeJS.ErrnoException).code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') {
      throw new PluginLoadError(
        `plugin "${spec}" failed to load: it is TypeScript inside node_modules, where Node does not strip types; publish the package as JavaScript (with .d.ts types), or load the .ts file by its path from outside node_modules`,
      );
    }
    throw new PluginLoadError(`plugin "${spec}" failed to load: ${(err as Error).message}`);
  }
  const problems = manifestProblems(mod.default);
  if (problems.length) {
    const name = (mod.default as { name?: unknown })?.name;
    throw new PluginLoadError(`${typeof name === 'string' ? `plugin "${name}" (${spec})` : `plugin ${spec}`} is invalid: ${problems.join('; ')}`);
  }
  return mod.default as PluginManifest;
}

export async function loadAllPlugins(root: string, extra: string[]): Promise<PluginManifest[]> {
  const manifests: PluginManifest[] = [];
  const seen = new Map<string, string>();
  for (const spec of [...builtinPluginPaths(root), ...extra]) {
    const m = await loadPlugin(spec, root);
    if (seen.has(m.name)) throw new PluginLoadError(`plugin "${m.name}" is registered twice (${seen.get(m.name)} and ${spec})`);
    seen.set(m.name, spec);
    manifests.push(m);
  }
  // A goal type names its tracking preset: one that is not registered would refuse every campaign of it.
  const presets = manifests.filter((m) => m.kind === 'tracking-preset').map((m) => m.name);
  for (const m of manifests) {
    if (m.kind === 'goal-type' && !presets.includes(m.trackingPreset)) {
      throw new PluginLoadError(`plugin "${m.name}" (${seen.get(m.name)}) is invalid: trackingPreset "${m.trackingPreset}" is not a registered tracking preset (${presets.join(', ')})`);
    }
  }
  return manifests;
}

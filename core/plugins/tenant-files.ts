import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';

export interface TenantPluginConfig {
  enabled?: boolean;
  settings?: Record<string, unknown>;
}
export interface TenantFile {
  plugins?: Record<string, TenantPluginConfig>;
}

const validate = new Ajv({ allErrors: true }).compile({
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    plugins: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: { enabled: { type: 'boolean' }, settings: { type: 'object' } },
      },
    },
  },
});

/** Reads every tenants/<handle>.json; an invalid file stops start-up with its name. */
export function readTenantFiles(dir: string): Map<string, TenantFile> {
  const out = new Map<string, TenantFile>();
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json') || file.startsWith('_')) continue;
    const path = resolve(dir, file);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`${path}: not valid JSON (${(err as Error).message})`, { cause: err });
    }
    if (!validate(data)) {
      throw new Error(`${path}: ${validate.errors!.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')}`);
    }
    out.set(file.slice(0, -'.json'.length), data as TenantFile);
  }
  return out;
}

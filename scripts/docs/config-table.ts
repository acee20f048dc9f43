// Prints the README's configuration table from config/schema.ts (the one source of truth).
import { envSchema, type EnvVar } from '../../config/schema.ts';

console.log('| Variable | Default | Meaning |');
console.log('|---|---|---|');
for (const [name, spec] of Object.entries(envSchema) as [string, EnvVar][]) {
  const def = spec.shownDefault ?? (spec.default === '' || spec.default === undefined ? '—' : `\`${spec.default}\``);
  const allowed = spec.enum ? ` One of ${spec.enum.map((e) => `\`${e}\``).join(', ')}.` : '';
  console.log(`| \`${name}\` | ${def} | ${spec.description}${allowed} |`);
}

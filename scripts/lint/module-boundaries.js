// ESLint rule `tenx/module-boundaries`: a module's index.ts is its only door. A file in core/<a>/ may
// import another module only through core/<b>/index.ts; core/http, core/db and core/infra are the
// shared kernel layers every module builds on, and files directly in core/ are the composition root.
// Plain JavaScript: ESLint loads it before any TypeScript runs.
import { dirname, relative, resolve, sep } from 'node:path';

const SHARED = new Set(['http', 'db', 'infra']);

/** [module, path inside it] for a file under core/<module>/, else null. */
function moduleOf(coreDir, file) {
  const parts = relative(coreDir, file).split(sep);
  if (parts.length < 2 || parts[0] === '..' || parts[0] === '') return null;
  return [parts[0], parts.slice(1).join('/')];
}

export default {
  meta: {
    type: 'problem',
    docs: { description: "forbid importing another core module's internal files (use its index.ts)" },
    schema: [],
    messages: {
      internal:
        "core/{{from}} imports {{what}}core/{{to}}/{{file}}, an internal file of another module: import it from core/{{to}}/index.ts, the module's public face.",
    },
  },
  create(context) {
    const file = context.filename;
    const coreDir = resolve(context.cwd, 'core');
    const from = moduleOf(coreDir, file);
    if (!from) return {};
    const check = (node, source, typeOnly) => {
      if (typeof source?.value !== 'string' || !source.value.startsWith('.')) return;
      const to = moduleOf(coreDir, resolve(dirname(file), source.value));
      if (!to || to[0] === from[0] || SHARED.has(to[0]) || to[1] === 'index.ts') return;
      const data = { from: from[0], to: to[0], file: to[1], what: typeOnly ? 'types from ' : '' };
      context.report({ node: source, messageId: 'internal', data });
    };
    return {
      ImportDeclaration: (n) =>
        check(n, n.source, n.importKind === 'type' || (n.specifiers.length > 0 && n.specifiers.every((s) => s.importKind === 'type'))),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source, n.exportKind === 'type'),
      ExportAllDeclaration: (n) => check(n, n.source, n.exportKind === 'type'),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source, false),
    };
  },
};

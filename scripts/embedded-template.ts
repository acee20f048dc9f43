// `npm run embedded-template [-- <file>]`: remakes the template a fresh embedded DATA_DIR starts from
// (core/db/embedded-template/pgdata.tar.br by default). Run it after upgrading @electric-sql/pglite
// (the old template is then skipped) or to fold new migrations in (optional: they run on start).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SHIPPED_TEMPLATE } from '../core/db/embedded-template.ts';
import { makeTemplate } from '../core/db/template-maker.ts';
import { createLogger } from '../core/infra/logger.ts';

const out = process.argv[2] ? resolve(process.argv[2]) : SHIPPED_TEMPLATE;
mkdirSync(dirname(out), { recursive: true });
const started = performance.now();
const manifest = await makeTemplate(out, createLogger('warn'));
console.log(`wrote ${out} (PGlite ${manifest.pglite}, ${manifest.migrations.length} migrations) in ${Math.round(performance.now() - started)} ms`);

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'chai';

const ROOT = resolve(import.meta.dirname, '../..');
const DOC = readFileSync(resolve(ROOT, 'docs/plugins.md'), 'utf8');

/** Code without its trailing comment (`  // ...` after code), trimmed; '' for comment-only lines. */
const code = (line: string) => line.replace(/(^|\s)\/\/.*$/, '').trim();

/** Every ```ts block the page marks `<!-- excerpt: path -->`, with the file it claims to quote. */
function excerpts(): { path: string; lines: string[] }[] {
  return [...DOC.matchAll(/<!-- excerpt: (\S+) -->\n```ts\n([\s\S]*?)\n```/g)].map((m) => ({ path: m[1], lines: m[2].split('\n') }));
}

/**
 * docs/plugins.md teaches the SDK through the example plugins: its code must be theirs, as they are
 * now (it once showed discord posting with fetch after the SDK moved channels to api.postJson).
 */
describe('docs/plugins.md matches the example plugins and the runtime', () => {
  it('quotes each example plugin, line for line, in order (elisions marked "// …")', () => {
    const found = excerpts();
    expect(found.map((e) => e.path).sort()).to.deep.equal([
      'plugins/examples/app-install/index.ts', 'plugins/examples/discord/index.ts',
      'plugins/examples/subnet-burst/index.ts', 'plugins/examples/utm-segment/index.ts',
    ]);
    for (const { path, lines } of found) {
      const file = readFileSync(resolve(ROOT, path), 'utf8').split('\n').map(code);
      let at = 0;
      for (const line of lines.map(code).filter(Boolean)) {
        const next = file.indexOf(line, at);
        expect(next, `${path} has no line "${line}" (after line ${at})`).to.be.at.least(0);
        at = next + 1;
      }
    }
  });

  it('has notification channels send with api.postJson, never fetch', () => {
    const discord = excerpts().find((e) => e.path.includes('discord'))!.lines.map(code).join('\n');
    expect(discord).to.include('api.postJson(');
    expect(discord).not.to.match(/\bfetch\(/);
  });

  it('names the runtime tenx has (Node type stripping), not tsx', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { dependencies: object; devDependencies: object };
    expect({ ...pkg.dependencies, ...pkg.devDependencies }).not.to.have.property('tsx');
    expect(DOC).not.to.match(/\btsx\b/);
    expect(DOC).to.include('type stripping');
  });
});

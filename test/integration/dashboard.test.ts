import http from 'node:http';
import { expect } from 'chai';
import { startTestServer, type TestServer } from '../support/server.ts';
import { loadAssets } from '../../core/dashboard/assets.ts';

/** A raw GET: supertest and fetch normalise `..` away, a browser-less attacker need not. */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((ok, fail) => {
    http.get({ hostname, port, path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c)).on('end', () => ok({ status: res.statusCode ?? 0, body }));
    }).on('error', fail);
  });
}

describe('dashboard: static page and files', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => server?.close());

  it('serves the page at /dashboard without auth, with a self-only CSP and revalidation caching', async () => {
    const res = await server.http.get('/dashboard').expect(200);
    expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
    expect(res.text).to.include('<script type="module" src="/dashboard/js/app.js"></script>');
    const csp = res.headers['content-security-policy'];
    expect(csp).to.include("default-src 'none'").and.include("script-src 'self'").and.include("connect-src 'self'")
      .and.include("frame-ancestors 'none'");
    expect(csp).to.not.include('unsafe-inline').and.not.include('http');
    expect(res.headers['cache-control']).to.equal('no-cache');
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
    expect(res.headers.etag).to.match(/^"[\w-]+"$/);
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await server.http.head('/dashboard/css/app.css').expect(200);
    expect(res.headers['content-type']).to.equal('text/css; charset=utf-8');
    expect(res.text ?? '').to.equal('');
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await server.http.get('/dashboard/js/app.js').expect(200);
    const again = await server.http.get('/dashboard/js/app.js').set('if-none-match', first.headers.etag).expect(304);
    expect(again.text ?? '').to.equal('');
  });

  it('serves every file with its content type', async () => {
    const cases: Record<string, string> = {
      '/dashboard/js/app.js': 'text/javascript; charset=utf-8',
      '/dashboard/css/app.css': 'text/css; charset=utf-8',
      '/dashboard/img/logo.svg': 'image/svg+xml',
    };
    for (const [path, type] of Object.entries(cases)) {
      const res = await server.http.get(path).expect(200);
      expect(res.headers['content-type'], path).to.equal(type);
      expect(res.headers['content-security-policy'], path).to.be.a('string');
    }
    // Every module the page imports exists: a missing one would only show as a blank page.
    for (const name of loadAssets().keys()) await server.http.get(name === 'index.html' ? '/dashboard' : `/dashboard/${name}`).expect(200);
  });

  it('names every module app.js imports, at any depth, as a modulepreload, and no other; its ETag is of the page served', async () => {
    const page = await server.http.get('/dashboard').expect(200);
    const preloaded = [...page.text.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]);
    const imported = new Set<string>();
    const walk = async (path: string) => {
      if (imported.has(path)) return;
      imported.add(path);
      const source = (await server.http.get(path).expect(200)).text;
      for (const [, file] of source.matchAll(/from '\.\/([\w-]+\.js)'/g)) await walk(`/dashboard/js/${file}`);
    };
    await walk('/dashboard/js/app.js');
    expect(imported.size).to.be.greaterThan(30);
    expect([...preloaded].sort()).to.deep.equal([...imported].sort());
    // Before the entry script, so the fetches start while the parser reaches it.
    expect(page.text.lastIndexOf('modulepreload')).to.be.lessThan(page.text.indexOf('<script type="module"'));
    await server.http.get('/dashboard').set('if-none-match', page.headers.etag).expect(304);
  });

  it('never serves a file outside its folder, however the path is spelled', async () => {
    for (const path of [
      '/dashboard/../package.json', '/dashboard/js/../../assets.ts', '/dashboard/js/..%2f..%2fassets.ts',
      '/dashboard/%2e%2e/%2e%2e%2fpackage.json', '/dashboard/js/%2e%2e%2f%2e%2e%2froutes.ts', '/dashboard/..%5c..%5cpackage.json',
      '/dashboard/js/app.js%00.css', '/dashboard/js/.hidden', '/dashboard/js/nope.js',
    ]) {
      const res = await rawGet(server.url, path);
      expect(res.status, path).to.be.oneOf([400, 404]);
      expect(res.body, path).to.not.include('"name": "tenx"').and.not.include('import ');
    }
  });

  it('holds no data and needs no token: the API behind it still does', async () => {
    const res = await server.http.get('/dashboard').set('authorization', 'Bearer nonsense').expect(200);
    expect(res.text).to.not.include('tenx_pat_');
    await server.http.get('/v2/handles/acme/campaigns').expect(401);
  });
});

import { Readable } from 'node:stream';
import Koa from 'koa';
import request from 'supertest';
import { expect } from 'chai';
import { monomorphicResponseAccessors } from '../../core/http/context-accessors.ts';

const NAMES = ['status', 'message', 'body', 'length', 'type', 'lastModified', 'etag'];

// core/http/context-accessors.ts: Koa's forwarding of ctx.status, ctx.body, … replaced by accessors of their own.
describe('monomorphicResponseAccessors: ctx.status, ctx.body, … forward to ctx.response as Koa does', () => {
  it('installs its own getter and setter per name on the app context, distinct from delegates’ shared ones', () => {
    const app = new Koa();
    const koaProto = Object.getPrototypeOf(app.context) as object;
    monomorphicResponseAccessors(app.context);
    const getters = new Set<unknown>();
    for (const name of NAMES) {
      const own = Object.getOwnPropertyDescriptor(app.context, name)!;
      const koa = Object.getOwnPropertyDescriptor(koaProto, name)!;
      expect(own.get, name).to.be.a('function').and.not.equal(koa.get);
      expect(own.set, name).to.be.a('function').and.not.equal(koa.set);
      expect(own.enumerable, name).to.equal(koa.enumerable);
      getters.add(own.get);
    }
    expect(getters.size).to.equal(NAMES.length);
  });

  it('reads and writes every one through ctx.response: a response shaped exactly as the assignments say', async () => {
    const app = new Koa();
    monomorphicResponseAccessors(app.context);
    const seen: Record<string, unknown> = {};
    app.use((ctx) => {
      ctx.body = { ok: true };
      seen.defaultType = ctx.type; // set by the body setter, read back through the getter
      ctx.status = 201;
      ctx.message = 'Made';
      ctx.etag = 'v1';
      ctx.lastModified = new Date(Date.UTC(2026, 11, 7));
      ctx.type = 'application/vnd.test+json';
      ctx.length = Buffer.byteLength(JSON.stringify(ctx.body));
      Object.assign(seen, { status: ctx.status, message: ctx.message, length: ctx.length, etag: ctx.etag, body: ctx.body });
      // lastModified's getter makes a new Date each time: compare what each prints.
      const read = (o: object, n: string) => String((o as Record<string, unknown>)[n]);
      seen.sameAsResponse = NAMES.every((n) => read(ctx, n) === read(ctx.response, n));
    });
    const res = await request(app.callback()).get('/');
    expect(res.status).to.equal(201);
    expect(res.headers).to.include({
      'content-type': 'application/vnd.test+json',
      etag: '"v1"',
      'last-modified': 'Mon, 07 Dec 2026 00:00:00 GMT',
      'content-length': '11',
    });
    expect(res.text).to.equal('{"ok":true}');
    expect(seen).to.deep.include({
      defaultType: 'application/json',
      status: 201,
      message: 'Made',
      length: 11,
      etag: '"v1"',
      body: { ok: true },
      sameAsResponse: true,
    });
  });

  // The same handlers on two apps, Koa's own forwarding and this one: every answer the same, GET and HEAD alike.
  it('answers exactly as Koa’s own forwarding does, for empty, null, stream, buffer, text, JSON, 204/304, errors and redirects', async () => {
    const handlers: Record<string, (ctx: Koa.Context) => void> = {
      null: (ctx) => {
        ctx.body = null;
      },
      'null after 200': (ctx) => {
        ctx.status = 200;
        ctx.body = null;
      },
      undefined: (ctx) => {
        ctx.body = undefined;
      },
      stream: (ctx) => {
        ctx.body = Readable.from(['a', 'b']);
      },
      buffer: (ctx) => {
        ctx.body = Buffer.from('bytes');
      },
      html: (ctx) => {
        ctx.body = '<p>hi</p>';
      },
      json: (ctx) => {
        ctx.status = 201;
        ctx.body = { a: 1 };
      },
      'no content': (ctx) => {
        ctx.status = 204;
        ctx.body = 'ignored';
      },
      'not modified': (ctx) => {
        ctx.etag = 'x';
        ctx.status = 304;
      },
      'length first': (ctx) => {
        ctx.length = 3;
        ctx.body = 'abc';
      },
      thrown: (ctx) => {
        ctx.throw(404, 'Nope');
      },
      message: (ctx) => {
        ctx.status = 418;
        ctx.message = 'Short and stout';
      },
      redirect: (ctx) => {
        ctx.redirect('/elsewhere');
      },
    };
    const appOf = (own: boolean) => {
      const app = new Koa();
      if (own) monomorphicResponseAccessors(app.context);
      app.use((ctx) => handlers[decodeURIComponent(ctx.path.slice(1))](ctx));
      return app.callback();
    };
    const [koa, own] = [appOf(false), appOf(true)];
    const answer = async (cb: ReturnType<typeof appOf>, method: 'get' | 'head', name: string) => {
      const res = await request(cb)[method](`/${encodeURIComponent(name)}`);
      const { date: _date, ...headers } = res.headers as Record<string, string>;
      return { status: res.status, headers, text: res.text };
    };
    for (const name of Object.keys(handlers)) {
      for (const method of ['get', 'head'] as const) {
        expect(await answer(own, method, name), `${method} ${name}`).to.deep.equal(await answer(koa, method, name));
      }
    }
  });
});

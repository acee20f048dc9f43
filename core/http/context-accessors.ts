import type Koa from 'koa';

type Ctx = Koa.Context;

/**
 * Koa forwards `ctx.status`, `ctx.body`, … to `ctx.response` through the `delegates` package, whose getter and
 * setter are each one function literal made in a loop: every forwarded name shares one keyed access site. The
 * site goes megamorphic, and a megamorphic keyed *store* reaches an accessor through the runtime
 * (`Runtime_SetKeyedProperty`: 3.2 % of the conversions server's on-CPU samples, from the route's
 * `ctx.status = …` / `ctx.body = …` and Koa's own `ctx.length = …`). These are the same accessors, each with its
 * own code and a constant name, defined on the app's context so every request's ctx inherits them.
 */
const RESPONSE_ACCESSORS: PropertyDescriptorMap & ThisType<Ctx> = {
  status: {
    get() {
      return this.response.status;
    },
    set(v: number) {
      this.response.status = v;
    },
  },
  message: {
    get() {
      return this.response.message;
    },
    set(v: string) {
      this.response.message = v;
    },
  },
  body: {
    get() {
      return this.response.body;
    },
    set(v: unknown) {
      this.response.body = v;
    },
  },
  length: {
    get() {
      return this.response.length;
    },
    set(v: number) {
      this.response.length = v;
    },
  },
  type: {
    get() {
      return this.response.type;
    },
    set(v: string) {
      this.response.type = v;
    },
  },
  lastModified: {
    get() {
      return this.response.lastModified;
    },
    set(v: Date) {
      this.response.lastModified = v;
    },
  },
  etag: {
    get() {
      return this.response.etag;
    },
    set(v: string) {
      this.response.etag = v;
    },
  },
};

export function monomorphicResponseAccessors(context: Koa['context']): void {
  for (const [name, d] of Object.entries(RESPONSE_ACCESSORS)) {
    Object.defineProperty(context, name, { ...d, enumerable: true, configurable: true });
  }
}

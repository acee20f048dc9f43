import 'koa';

declare module 'koa' {
  interface Request {
    /** Parsed JSON body (core/http/body.ts). */
    body?: unknown;
  }
}

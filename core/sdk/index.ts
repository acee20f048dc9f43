import type { TenxModule } from '../module.ts';
import { sdkRoutes } from './routes.ts';
import { loadSnippet } from './snippet.ts';

/** Scripts merchants embed on their own pages (API.md "GET /sdk/ctx.js"). */
export const sdkModule: TenxModule = {
  name: 'sdk',
  routes: () => sdkRoutes(loadSnippet('ctx.js')),
};

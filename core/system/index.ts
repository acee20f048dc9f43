import type { TenxModule } from '../module.ts';
import { systemRoutes } from './routes.ts';

export const systemModule: TenxModule = { name: 'system', routes: () => systemRoutes };

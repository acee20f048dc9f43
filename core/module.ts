import type { EntitySchema } from '@mikro-orm/core';
import type { AwilixContainer } from 'awilix';
import type { RouteDef } from './http/route.ts';

/**
 * A domain module: what it registers in the container, the routes it owns, and the background
 * work it starts and (on shutdown, in reverse order) stops.
 */
export interface TenxModule {
  name: string;
  /** The MikroORM entities of its control-plane tables (docs/architecture.md "Data access"). */
  entities?: EntitySchema<any>[];
  register?(container: AwilixContainer): void;
  routes?(cradle: Record<string, any>): RouteDef[];
  start?(cradle: Record<string, any>): Promise<void> | void;
  stop?(cradle: Record<string, any>): Promise<void> | void;
}

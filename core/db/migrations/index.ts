import { Migration0001Kernel } from './0001-kernel.ts';
import { Migration0002Tracking } from './0002-tracking.ts';

/** Every migration in order; a module adds its own file here. Applied on start. */
export const migrations = [
  { name: '0001-kernel', class: Migration0001Kernel },
  { name: '0002-tracking', class: Migration0002Tracking },
];

import { uuidv7 } from '../infra/uuid7.ts';

/** A click's id: a UUIDv7 from the pooled generator (runs per click). */
export const newClickId = (now = Date.now()): string => uuidv7(now);

import { uuidv7Generator } from '../infra/uuid7.ts';

/**
 * Click ids: UUIDv7 carrying the click's exact millisecond (the partition look-up reads a click's
 * time from its id), counting up within a millisecond so one process's ids sort in redirect order.
 */
export const newClickId = uuidv7Generator({ exactMs: true });

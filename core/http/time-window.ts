import { invalidRequest } from './errors.ts';
import { instant } from './validate.ts';

/**
 * A client's time window (`from` inclusive, `to` exclusive) must hold at least an instant: an empty or
 * inverted one is a mistake to name (a 400), not a question whose answer is "nothing".
 */
export function checkWindowOrder(from?: string, to?: string): void {
  if (from && to && Date.parse(from) >= Date.parse(to)) {
    throw invalidRequest('`from` must be before `to`.', [{ pointer: '/query/from', message: 'must be before to' }]);
  }
}

/** A list's `from`/`to` query parameters, as checkWindowOrder() reads them. */
export const WINDOW_QUERY = {
  from: { ...instant, description: 'Created at or after this time.' },
  to: { ...instant, description: 'Created before this time (exclusive); a `to` not after `from` is a 400.' },
} as const;

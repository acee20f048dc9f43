import { invalidRequest } from './errors.ts';

/**
 * A client's time window (`from` inclusive, `to` exclusive) must hold at least an instant: an empty or
 * inverted one is a mistake to name (a 400), not a question whose answer is "nothing".
 */
export function checkWindowOrder(from?: string, to?: string): void {
  if (from && to && Date.parse(from) >= Date.parse(to)) {
    throw invalidRequest('`from` must be before `to`.', [{ pointer: '/query/from', message: 'must be before to' }]);
  }
}

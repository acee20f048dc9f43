// The window of every analytics read: the instants asked for, [from, to). The rollups are hourly; the partial
// hours at a window's ends are read from raw rows (range.ts), so successive windows (`from` = the last run's
// `to`) never count or export a click twice.
import { checkWindowOrder } from '../http/time-window.ts';
import type { Window } from './range.ts';

/**
 * Clicks are stored to the millisecond (their time is a JS Date's), so an instant with a finer fraction is taken
 * as the next millisecond: a click at t is at or after `from` exactly when t >= ceil(from), and before `to` exactly
 * when t < ceil(to). Date.parse drops the digits after the third.
 */
function toMillisecond(instant: string): Date {
  const ms = Date.parse(instant);
  const fraction = /T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(instant)?.[1] ?? '';
  return new Date(/[1-9]/.test(fraction.slice(3)) ? ms + 1 : ms);
}

/** `from` inclusive, `to` exclusive, as given (400 when not in order, as for every window). */
export function exactWindow(from?: string, to?: string): Window {
  checkWindowOrder(from, to);
  return { from: from ? toMillisecond(from) : undefined, to: to ? toMillisecond(to) : undefined };
}

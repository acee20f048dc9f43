/** core/dashboard/public/js/event-types.js, for the test that holds it equal to the server's list. */
export const EVENT_TYPES: readonly string[];
export const POSTBACK_EVENTS: readonly string[];
export const POSTBACK_MACROS: readonly string[];
export const EVENT_READ_SCOPES: Readonly<Record<string, readonly string[]>>;

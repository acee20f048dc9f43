/** core/dashboard/public/js/handle-scopes.js, for the test that holds it equal to the server's list. */
export const HANDLE_SCOPES: readonly string[];

/** core/dashboard/public/js/audit-change.js, for `tenx audit list`. */
export function statusChange(p: Record<string, unknown>, arrow?: string): string;
export function shownValue(v: unknown): string;
export function beforeAfter(p: Record<string, unknown>, arrow?: string): string | null;
export function submittedChanges(p: Record<string, unknown>, arrow?: string): string | null;

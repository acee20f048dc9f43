/** core/dashboard/public/js/audit-change.js, for `tenx audit list`. */
export interface AuditStyle {
  arrow: string;
  money: (n: unknown, currency?: string) => string;
  day: (iso: string) => string;
}
export const AUDIT_SENTENCES: Readonly<Record<string, (p: Record<string, unknown>, s: AuditStyle) => string | null>>;
export function idTail(id: unknown): string;
export function describeEvent(e: { type: string; payload?: Record<string, unknown> | null }, style: AuditStyle): string;

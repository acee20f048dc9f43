// Types for the dashboard's browser module, so node tests can import it under `strict` (only what they use).
export function commissionLines(row: { revenue: number; revenueByCurrency?: Record<string, number>; commission?: Record<string, number> | null }, currency?: string): string[];
type Counts = { clicks: number; qualifiedClicks: number; conversions: number };
export function rates(row: Counts): { conversionRate: number; botRatio: number };
export function totalsOf(rows: Counts[]): Counts & { conversionRate: number; botRatio: number };
export function cardTotals(rows: Counts[], apiTotals?: Partial<Counts & { conversionRate: number; botRatio: number }> | null): Counts & { conversionRate: number; botRatio: number };
type Money = { revenue: number; revenueByCurrency?: Record<string, number>; netRevenueByCurrency?: Record<string, number> };
export function revenueLines(row: Money, currency?: string): string[];
export function netRevenueLine(row: Money & { netRevenue?: number }, currency?: string): string | null;

// Types for the dashboard's browser module, so node tests can import it under `strict`.
export type Range = { id: string; from?: string; to?: string };
export type Grain = 'hour' | 'day';
export interface RangeWindow { from?: string; to?: string; grain: Grain; label: string }
export interface Bucket { key: string; clicks: number; qualifiedClicks: number; conversions: number }
export const PRESETS: Array<{ id: string; label: string; title: string; days?: number }>;
export const DEFAULT_RANGE: Range;
export function isoDay(t: number | string | Date): string;
export function parseDay(s: unknown): number;
export function customRangeError(from: unknown, to: unknown): string | null;
export function parseRange(params: URLSearchParams | string | null | undefined): Range;
export function rangeSearch(range: Range): string;
export function searchWith(range: Range, own: Record<string, string | undefined>): string;
export function sameRange(a: Range, b: Range): boolean;
export function rangeWindow(range: Range, now?: number): RangeWindow;
export function fillBuckets(rows: Array<{ key: string; clicks?: number; qualifiedClicks?: number; conversions?: number }>, win: RangeWindow, now?: number): Bucket[];
export function bucketLabel(key: string, grain: Grain, longSpan?: boolean): string;

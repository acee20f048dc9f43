// How results reach stdout: aligned tables for people, raw JSON (`--json`) for scripts.
import { reportAndExit } from './errors.ts';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  align?: 'left' | 'right';
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v)) return v.length ? v.join(',') : '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// Characters a terminal draws two columns wide: CJK ideographs, kana, Hangul, full-width forms, and emoji.
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}]|\p{Extended_Pictographic}/u;
const ZERO = /^(?:\p{M}|\u200B|\u200C|\u200D|\uFE0E|\uFE0F)+$/u;
// Made on first use, for a non-ASCII cell only: building it loads ICU's break rules, ~25 ms of every command's start
// (10 s of the suite's CPU over its ~400 CLI runs) when it sat at the top of this file.
let graphemes: Intl.Segmenter | undefined;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The columns a string takes in a terminal: a partner named in Japanese (2 columns a character) pushed its row out of
 * line when widths were counted in UTF-16 units. Per grapheme: 2 if it holds a wide character, else 1 (0 if it is
 * only combining marks or joiners).
 */
export function displayWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += WIDE.test(segment) ? 2 : ZERO.test(segment) ? 0 : 1;
  return width;
}

const padEnd = (v: string, width: number) => v + ' '.repeat(Math.max(0, width - displayWidth(v)));
const padStart = (v: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(v))) + v;

/** Columns padded to their widest cell; numbers right-aligned so digits line up. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.value(r))));
  const widths = columns.map((c, i) => Math.max(displayWidth(c.header), ...cells.map((row) => displayWidth(row[i]))));
  const line = (values: string[]) =>
    values
      .map((v, i) => (columns[i].align === 'right' ? padStart(v, widths[i]) : i === values.length - 1 ? v : padEnd(v, widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

export function printTable<T>(rows: T[], columns: Column<T>[], emptyNote?: string): void {
  process.stdout.write(formatTable(rows, columns));
  if (!rows.length && emptyNote) process.stderr.write(`(${emptyNote})\n`);
}

/** The "Examples:" block `--help` shows after the options (commander's addHelpText('after', ...)). */
export const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

export const percent = (ratio: unknown) => (typeof ratio === 'number' ? `${(ratio * 100).toFixed(1)}%` : ratio);
/**
 * A funnel row's rates from its counts (API.md's definitions), the same numbers as the API's `botRatio` and
 * `conversionRate` (which were rounded to 4 places until 2026-12-06: rounding those again read 39 conversions of 329
 * qualified clicks, 0.1185, as 11.8 %, not 11.9 %), and from the counts any answer carries.
 */
export const botShare = (r: { clicks: number; qualifiedClicks: number }) => percent(r.clicks ? (r.clicks - r.qualifiedClicks) / r.clicks : 0);
export const conversionShare = (r: { qualifiedClicks: number; conversions: number }) =>
  percent(r.qualifiedClicks ? r.conversions / r.qualifiedClicks : 0);
export const money = (v: unknown) => (typeof v === 'number' ? v.toFixed(2) : v);

/** Human-readable byte counts for progress lines. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Wraps a commander action: any failure prints one line and exits with its code (1 API, 2 usage). */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportAndExit(err);
    }
  };
}

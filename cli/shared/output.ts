import { fitWidths, truncate } from '../../src/core/table-fit.ts';

export { fitWidths, truncate };

/**
 * Plain-text renderers for CLI verbs: aligned tables for people, RFC 4180 CSV and JSON for tools.
 * Everything goes to stdout through the caller; progress and errors go to stderr elsewhere.
 */
export type OutputFormat = 'table' | 'text' | 'json' | 'csv';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

export interface TableOptions {
  /** Fit the table in this many characters by truncating the widest columns (full text is in json/csv). */
  maxWidth?: number;
}

/** A row of `null` draws a separator line (before subtotals and totals). */
export function renderTable<T>(rows: ReadonlyArray<T | null>, columns: ReadonlyArray<Column<T>>, options: TableOptions = {}): string {
  const cells = rows.map((row) => (row === null ? null : columns.map((c) => c.value(row))));
  const natural = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r ? r[i]!.length : 0))));
  const widths = fitWidths(natural, options.maxWidth);
  const line = (values: string[]) =>
    values
      .map((raw, i) => {
        const v = truncate(raw, widths[i]!);
        return columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(columns.map((c) => c.header)), rule, ...cells.map((r) => (r ? line(r) : rule))].join('\n') + '\n';
}

/**
 * The width tables must fit: COLUMNS when set (what shells export), else the terminal's width, else
 * none (a pipe or a file gets full lines).
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): number | undefined {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<Record<string, unknown>>, fields: readonly string[]): string {
  return [fields.join(','), ...rows.map((row) => fields.map((f) => csvField(row[f])).join(','))].join('\r\n') + '\r\n';
}

export function formatUsd(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'unknown';
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

import { FLEXIBLE_MIN, fitWidths, truncate } from '../../src/core/table-fit.ts';

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
  /** Free text that gives up width first when the table must fit a terminal. */
  flexible?: boolean;
  /** May be left out of a table that cannot otherwise fit (json and csv always carry it). */
  optional?: boolean;
}

export interface TableOptions {
  /** Fit the table in this many characters by truncating the widest columns (full text is in json/csv). */
  maxWidth?: number;
}

/** A row of `null` draws a separator line (before subtotals and totals). */
export function renderTable<T>(rows: ReadonlyArray<T | null>, allColumns: ReadonlyArray<Column<T>>, options: TableOptions = {}): string {
  const all = rows.map((row) => (row === null ? null : allColumns.map((c) => c.value(row))));
  const naturalOf = (i: number) => Math.max(allColumns[i]!.header.length, ...all.map((r) => (r ? r[i]!.length : 0)));
  const kept = columnsThatFit(
    allColumns,
    allColumns.map((_, i) => naturalOf(i)),
    options.maxWidth,
  );
  const columns = kept.map((i) => allColumns[i]!);
  const cells = all.map((r) => (r ? kept.map((i) => r[i]!) : null));
  const widths = fitWidths(
    kept.map((i) => naturalOf(i)),
    options.maxWidth,
    {
      flexible: columns.flatMap((c, i) => (c.flexible ? [i] : [])),
      fixed: columns.flatMap((c, i) => (c.align === 'right' ? [i] : [])),
      headers: columns.map((c) => c.header.length),
    },
  );
  const line = (values: string[]) =>
    values
      .map((raw, i) => {
        const v = truncate(raw, widths[i]!);
        return columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const hidden = allColumns.filter((_, i) => !kept.includes(i)).map((c) => c.header);
  const note = hidden.length > 0 ? `(${hidden.join(', ')} hidden to fit ${options.maxWidth} columns; -o json or -o csv has every field)\n` : '';
  return [line(columns.map((c) => c.header)), rule, ...cells.map((r) => (r ? line(r) : rule))].join('\n') + '\n' + note;
}

/** Indices of the columns shown: optional ones are dropped, last first, while even their narrowest table is too wide. */
function columnsThatFit<T>(columns: ReadonlyArray<Column<T>>, natural: readonly number[], maxWidth: number | undefined): number[] {
  const kept = columns.map((_, i) => i);
  if (maxWidth === undefined) return kept;
  const narrowest = () => kept.reduce((sum, i) => sum + (columns[i]!.flexible ? Math.min(natural[i]!, FLEXIBLE_MIN) : natural[i]!), 0) + 2 * (kept.length - 1);
  for (let i = columns.length - 1; i >= 0 && narrowest() > maxWidth; i--) if (columns[i]!.optional) kept.splice(kept.indexOf(i), 1);
  return kept;
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

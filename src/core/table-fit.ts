/**
 * Fitting a text table in a terminal: the widest column gives up a character at a time until the
 * table fits; cut cells end in "…". Machine formats (json, csv) always carry the full text.
 */
const MIN_COLUMN = 6;
export const FLEXIBLE_MIN = 16;

/**
 * Narrows columns until the table fits `maxWidth`: first the flexible ones (free text such as a
 * reason), widest first, down to a readable width; then any column, widest first, down to its
 * header; then down to a minimum. Identifiers keep their full width as long as anything else can give.
 */
export function fitWidths(
  natural: readonly number[],
  maxWidth: number | undefined,
  options: { flexible?: readonly number[]; fixed?: readonly number[]; headers?: readonly number[]; separator?: number } = {},
): number[] {
  const widths = [...natural];
  if (maxWidth === undefined) return widths;
  const separator = options.separator ?? 2;
  const flexible = new Set(options.flexible ?? []);
  // Numbers are never cut: "$1,105…" would be a different, wrong number.
  const fixed = new Set(options.fixed ?? []);
  const total = () => widths.reduce((sum, w) => sum + w, 0) + separator * (widths.length - 1);
  const phases: ((i: number) => number | undefined)[] = [
    (i) => (flexible.has(i) ? FLEXIBLE_MIN : undefined),
    (i) => (flexible.has(i) ? MIN_COLUMN : undefined),
    (i) => Math.max(MIN_COLUMN, options.headers?.[i] ?? MIN_COLUMN),
    () => MIN_COLUMN,
  ];
  for (const floorOf of phases) {
    while (total() > maxWidth) {
      let widest = -1;
      for (let i = 0; i < widths.length; i++) {
        const floor = fixed.has(i) ? undefined : floorOf(i);
        if (floor !== undefined && widths[i]! > floor && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      }
      if (widest < 0) break;
      widths[widest]! -= 1;
    }
  }
  return widths;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

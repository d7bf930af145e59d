/**
 * Fitting a text table in a terminal: the widest column gives up a character at a time until the
 * table fits; cut cells end in "…". Machine formats (json, csv) always carry the full text.
 */
const MIN_COLUMN = 6;

export function fitWidths(natural: readonly number[], maxWidth: number | undefined, separator = 2): number[] {
  const widths = [...natural];
  if (maxWidth === undefined) return widths;
  const total = () => widths.reduce((sum, w) => sum + w, 0) + separator * (widths.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if (widths[i]! > MIN_COLUMN && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    if (widest < 0) break;
    widths[widest]! -= 1;
  }
  return widths;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

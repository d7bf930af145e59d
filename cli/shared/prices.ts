import { readFileSync } from 'node:fs';
import { InputValidationError } from '../../src/core/errors.ts';
import { PriceTableSchema, type PriceTable } from '../../src/detection/pricing.ts';

/** `--price-file`: the user's own price table, in the bundled table's shape (docs/detection.md). */
export function loadPriceFile(path: string, flag = '--price-file'): PriceTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputValidationError(`invalid ${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, flag);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputValidationError(`invalid ${flag}: ${path} is not JSON: ${(error as Error).message}`, flag);
  }
  const parsed = PriceTableSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputValidationError(`invalid ${flag}: ${path} is not a price table (${issue.path.join('.') || 'root'}: ${issue.message})`, flag);
  }
  return parsed.data;
}

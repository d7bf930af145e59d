import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WORKFLOW_FUNCTIONS, functionArnPlaceholder } from '../src/core/functions.ts';

/**
 * Every `${Placeholder}` that statemachine/sweep.asl.json uses. Infra passes exactly these as
 * `definitionSubstitutions`; the local runner substitutes the same list with local values. A test
 * checks this list against the file, so adding a placeholder to one without the other fails CI.
 */
export const FUNCTION_ARN_PLACEHOLDERS = WORKFLOW_FUNCTIONS.map(functionArnPlaceholder);

/** Settings placeholders. Their values are strings (ValidateInput parses them, naming the field on error). */
export const SETTING_PLACEHOLDERS = {
  /** Name of the hub's archive bucket (ItemReader, ResultWriter). */
  ArchiveBucket: 'ArchiveBucket',
  /** Parallel scan children (Distributed Map MaxConcurrency), e.g. "40". */
  ScanMaxConcurrency: 'ScanMaxConcurrency',
  /** Parallel snapshot/tag and delete children, e.g. "10". Kept low: these act in member accounts. */
  ActionMaxConcurrency: 'ActionMaxConcurrency',
  /** Percentage of scan children that may fail before the sweep fails, e.g. "10". */
  ScanToleratedFailurePercentage: 'ScanToleratedFailurePercentage',
} as const;

export const STATE_MACHINE_PLACEHOLDERS: readonly string[] = [...FUNCTION_ARN_PLACEHOLDERS, ...Object.values(SETTING_PLACEHOLDERS)];

/** Defaults for the settings placeholders (local runner; infra may pass its own). */
export const DEFAULT_SETTINGS: Record<keyof typeof SETTING_PLACEHOLDERS, string | undefined> = {
  ArchiveBucket: undefined,
  ScanMaxConcurrency: '40',
  ActionMaxConcurrency: '10',
  ScanToleratedFailurePercentage: '10',
};

export const SWEEP_ASL_PATH = fileURLToPath(new URL('./sweep.asl.json', import.meta.url));

export function readSweepAsl(): string {
  return readFileSync(SWEEP_ASL_PATH, 'utf8');
}

const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The distinct placeholder names used in an ASL text, sorted. */
export function placeholdersIn(aslText: string): string[] {
  return [...new Set([...aslText.matchAll(PLACEHOLDER)].map((m) => m[1]!))].sort();
}

/**
 * Replaces every `${Name}` with its value, JSON-string-escaped (placeholders only appear inside strings).
 * A missing value is an error naming it: a half-substituted definition must never run.
 */
export function substitutePlaceholders(aslText: string, values: Readonly<Record<string, string>>): string {
  const missing = placeholdersIn(aslText).filter((name) => values[name] === undefined);
  if (missing.length > 0) throw new Error(`no value for state machine placeholder(s): ${missing.join(', ')}`);
  return aslText.replace(PLACEHOLDER, (_, name: string) => JSON.stringify(values[name]).slice(1, -1));
}

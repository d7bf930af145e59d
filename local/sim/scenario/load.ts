import { readFileSync } from 'node:fs';
import { InputValidationError } from '../../../src/core/errors.ts';
import { parseScenario } from './build.ts';
import { demoScenario } from './demo.ts';
import { generateOrg } from './generate.ts';
import type { Scenario } from './schema.ts';

/** Built-in scenarios by name; `large` is the generated organization the scan benchmark uses (2,000 endpoints). */
export const BUILT_IN_SCENARIOS: Record<string, (seed: number) => Scenario> = {
  demo: () => demoScenario,
  large: (seed) => generateOrg({ accounts: 20, regions: ['us-east-1', 'eu-west-1'], endpointsPerRegion: 50, zombieFraction: 0.25, seed }),
};

/**
 * A built-in scenario by name, or a scenario JSON file by path. Errors name the file and the field
 * (`invalid scenario file x.json: endpoints.2.region: ...`).
 */
export function loadScenario(nameOrPath: string, options: { seed?: number } = {}): Scenario {
  const builtIn = BUILT_IN_SCENARIOS[nameOrPath];
  if (builtIn) return builtIn(options.seed ?? 1);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (error) {
    throw new InputValidationError(
      `scenario ${nameOrPath} is neither a built-in scenario (${Object.keys(BUILT_IN_SCENARIOS).join(', ')}) nor a readable file: ${(error as Error).message}`,
      'scenario',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputValidationError(`scenario file ${nameOrPath} is not valid JSON: ${(error as Error).message}`, 'scenario');
  }
  return parseScenario(json, `scenario file ${nameOrPath}`);
}

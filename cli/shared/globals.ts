import { InvalidArgumentError, Option, type Command } from 'commander';
import { InputValidationError } from '../../src/core/errors.ts';
import { closestRegion, partitionOfRegion } from '../../src/core/regions.ts';

/**
 * The options every verb takes, spelled as the AWS CLI spells them, so habits carry over:
 * `--region`, `--profile`, `-o/--output` (case-insensitive), `--endpoint-url`, `--quiet`/`--no-progress`,
 * `--no-color` (and the NO_COLOR convention). A verb opts in with `addGlobalOptions(command, formats)`;
 * cli/main.ts applies them (`applyGlobalOptions`) before the verb's action runs, so the verb sees the
 * region and endpoint the same way the SDK does: through AWS_REGION and AWS_ENDPOINT_URL.
 */
export interface GlobalFlags {
  region?: string;
  profile?: string;
  endpointUrl?: string;
  quiet?: boolean;
  /** false with --no-progress. */
  progress?: boolean;
  /** false with --no-color. */
  color?: boolean;
}

export const OUTPUT_FORMATS = ['table', 'text', 'json', 'csv', 'html'] as const;
export type AnyOutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o/--output` accepting `JSON`, `Json` and `json` alike, limited to the formats the verb can write. */
export function outputOption<F extends AnyOutputFormat>(formats: readonly F[], defaultFormat: F, description = 'output format'): Option {
  return new Option('-o, --output <format>', `${description}: ${formats.join(', ')} (case-insensitive)`).default(defaultFormat).argParser((value: string) => {
    const format = value.trim().toLowerCase() as F;
    if (!formats.includes(format)) throw new InvalidArgumentError(`must be one of ${formats.join(', ')} (got ${JSON.stringify(value)})`);
    return format;
  });
}

export function addGlobalOptions<F extends AnyOutputFormat>(command: Command, formats: readonly F[], defaultFormat: F, outputDescription?: string): Command {
  addConnectionOptions(command);
  if (!has(command, '--output')) command.addOption(outputOption(formats, defaultFormat, outputDescription));
  return command;
}

/** Every global option but `--output`, for a verb whose output has no format to choose. Safe to call twice. */
export function addConnectionOptions(command: Command): Command {
  if (!has(command, '--region'))
    command.option('--region <region>', 'AWS region for the API calls of this command (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1)');
  if (!has(command, '--profile'))
    command.option(
      '--profile <name>',
      'AWS profile from ~/.aws/config and ~/.aws/credentials (default: the SDK default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, ...)',
    );
  if (!has(command, '--endpoint-url'))
    command.option('--endpoint-url <url>', 'send every AWS call to this endpoint (as AWS_ENDPOINT_URL does), e.g. the simulator of `npm run sim`');
  if (!has(command, '--quiet')) {
    command
      .option('-q, --quiet', 'print no progress or informational lines on stderr; errors and warnings still print')
      .option('--no-progress', 'print no progress on stderr (same as --quiet)')
      .option('--no-color', 'never colour the output (also: NO_COLOR set to anything non-empty)');
  }
  return command;
}

function has(command: Command, long: string): boolean {
  return command.options.some((option) => option.long === long);
}

/** Progress and informational stderr lines are printed unless --quiet or --no-progress. */
export function showsProgress(flags: GlobalFlags): boolean {
  return flags.quiet !== true && flags.progress !== false;
}

/** https://no-color.org: any non-empty NO_COLOR disables colour; so do --no-color and a non-terminal stream. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flags: GlobalFlags = {}): boolean {
  return stream.isTTY === true && flags.color !== false && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function validateRegion(region: string, flag: string): string {
  const name = region.trim();
  if (partitionOfRegion(name)) return name;
  const hint = closestRegion(name);
  throw new InputValidationError(`invalid ${flag}: ${JSON.stringify(region)} is not an AWS region${hint ? ` (did you mean ${hint}?)` : ''}`, flag);
}

export function validateEndpointUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputValidationError(
      `invalid --endpoint-url: must be an http(s) URL such as http://127.0.0.1:4566 (got ${JSON.stringify(value)})`,
      '--endpoint-url',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InputValidationError(`invalid --endpoint-url: must start with http:// or https:// (got ${JSON.stringify(value)})`, '--endpoint-url');
  return value.replace(/\/+$/, '');
}

/**
 * Flags win over the environment, as in the AWS CLI. They are written into `env` (process.env in
 * the CLI) because the SDK and the local runner read the endpoint and region from there.
 */
export function applyGlobalOptions(flags: GlobalFlags, env: NodeJS.ProcessEnv): void {
  if (flags.region !== undefined) env.AWS_REGION = validateRegion(flags.region, '--region');
  if (flags.endpointUrl !== undefined) env.AWS_ENDPOINT_URL = validateEndpointUrl(flags.endpointUrl);
  if (flags.color === false) env.NO_COLOR = '1';
}

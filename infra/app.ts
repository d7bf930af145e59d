import { existsSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { CONFIG_FILE_CONTEXT, DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_FILE, loadInfraConfig } from './config.ts';
import { buildApp } from './build.ts';

/**
 * `npx cdk synth|deploy` entry (cdk.json). Config: `-c config=PATH`, else zombie-sweep.config.json,
 * else the example file (synth works on a fresh clone; deploying it fails the account check, since
 * its account ids are not yours). Per-field overrides: `-c zombieSweep.schedule.mode=cleanup`.
 */
function main(): void {
  // Read the CLI-provided context once, then build the real app with the flags and plugins set in code.
  const probe = new App({ autoSynth: false });
  const context: Record<string, unknown> = { ...(probe.node.getAllContext() as Record<string, unknown>) };
  const requested = context[CONFIG_FILE_CONTEXT];
  let path: string;
  if (typeof requested === 'string' && requested.length > 0) path = requested;
  else if (existsSync(DEFAULT_CONFIG_FILE)) path = DEFAULT_CONFIG_FILE;
  else {
    path = EXAMPLE_CONFIG_FILE;
    console.warn(`zombie-sweep: ${DEFAULT_CONFIG_FILE} not found, synthesizing ${EXAMPLE_CONFIG_FILE} (copy and edit it before deploying)`);
  }
  const config = loadInfraConfig(path, context);
  const { app } = buildApp(config, { context, outdir: probe.outdir });
  app.synth();
}

try {
  main();
} catch (error) {
  // One line naming the cause (config errors name the field); no stack for a configuration mistake.
  console.error(`zombie-sweep infra: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

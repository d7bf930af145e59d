import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONFIG_FILE, parseInfraConfig, readConfigFile, type InfraConfig } from '../../infra/config.ts';
import { buildApp } from '../../infra/build.ts';
import type { HubStack } from '../../infra/hub/hub-stack.ts';

/** The example config with changes, validated like a real one. */
export function configWith(changes: Record<string, unknown>): InfraConfig {
  return parseInfraConfig({ ...readConfigFile(EXAMPLE_CONFIG_FILE), ...changes });
}

export interface Synthesized {
  config: InfraConfig;
  hub: HubStack;
  template: Template;
  /** The raw hub template, for reading nested JSON (the StackSet body). */
  json: Record<string, any>;
  outdir: string;
  cleanup(): void;
}

/**
 * One full synthesis (cdk-nag included: a violation throws here). Lambda bundling and CDK's built-in
 * CloudFormation validation are skipped — the CLI test (cdk-cli.test.ts) does both for real — so a
 * synthesis costs seconds, not a minute.
 */
export function synthesize(config: InfraConfig, options: { cloudFormationValidation?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'zs-synth-'));
  const { app, hub } = buildApp(config, {
    outdir,
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
  });
  const assembly = app.synth();
  const json = assembly.getStackByName(hub.stackName).template as Record<string, any>;
  return { config, hub, template: Template.fromJSON(json), json, outdir, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** Resources of one type, by logical id. */
export function resourcesOf(json: Record<string, any>, type: string): Record<string, any> {
  return Object.fromEntries(Object.entries(json.Resources as Record<string, any>).filter(([, r]) => r.Type === type));
}

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/hub/functions.ts';
import { HUB_FUNCTIONS, HUB_STACK_NAME } from '../../infra/names.ts';

/**
 * The real `npx cdk synth`, offline, once: cdk.json's app, Lambda bundling with the local esbuild,
 * cdk-nag and CloudFormation validation. Everything else in test/infra skips bundling.
 */
const outdir = mkdtempSync(join(tmpdir(), 'zs-cdk-out-'));
// No credentials, no metadata service, no version check or notices: synth must not need the network.
const offlineEnv = {
  ...process.env,
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: 'true',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: '',
};

function cdk(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['cdk', ...args], { cwd: REPO_ROOT, env: offlineEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let synth: { code: number | null; stdout: string; stderr: string };
beforeAll(async () => {
  synth = await cdk(['synth', '--quiet', '-o', outdir, '-c', 'config=zombie-sweep.config.example.json']);
}, 240_000);
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('synthesizes the hub stack offline, with bundled functions', () => {
    expect(synth.stderr).not.toMatch(/error/i);
    expect(synth.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
    const stack = manifest.artifacts[HUB_STACK_NAME];
    expect(stack?.type).toBe('aws:cloudformation:stack');
    expect(stack?.environment).toBe('aws://111111111111/us-east-1');
    const template = JSON.parse(readFileSync(join(outdir, stack.properties.templateFile), 'utf8'));
    const functions = Object.values(template.Resources as Record<string, any>).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(HUB_FUNCTIONS.length);
    for (const fn of functions) {
      const assetPath = fn.Metadata['aws:asset:path'];
      expect(existsSync(join(outdir, assetPath, 'index.mjs')), fn.Properties.FunctionName).toBe(true);
    }
  });

  it('passes cdk-nag and CloudFormation template validation without a single finding', () => {
    // CDK reports CloudFormation validation errors as warnings (they do not fail synth), so check the report itself.
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('keeps error class names in the bundles (the state machine retries and catches by name)', async () => {
    const template = JSON.parse(readFileSync(join(outdir, `${HUB_STACK_NAME}.template.json`), 'utf8'));
    const scan = Object.values(template.Resources as Record<string, any>).find((r) => r.Properties?.FunctionName === 'zombie-sweep-scan');
    const bundle = (await import(pathToFileURL(join(outdir, scan.Metadata['aws:asset:path'], 'index.mjs')).href)) as {
      handler: (event: unknown) => Promise<unknown>;
    };
    // No ARCHIVE_BUCKET in this process: the handler rejects with the typed error, under its real name.
    await expect(bundle.handler({})).rejects.toMatchObject({ name: 'InputValidationError' });
  });

  it('synthesizes the minimal config (only the required ids) just as well', async () => {
    const minimalOut = join(outdir, 'minimal');
    const run = await cdk(['synth', '--quiet', '-o', minimalOut, '-c', 'config=zombie-sweep.config.minimal.json']);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(minimalOut, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts[HUB_STACK_NAME]?.environment).toBe('aws://111111111111/eu-west-1');
    expect(JSON.parse(readFileSync(join(minimalOut, 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
  }, 240_000);

  it('fails with the field named when a config value is wrong', async () => {
    const bad = await cdk([
      'synth',
      '--quiet',
      '-o',
      join(outdir, 'bad'),
      '-c',
      'config=zombie-sweep.config.example.json',
      '-c',
      'zombieSweep.hubAccountId=12345',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('hubAccountId');
    expect(bad.stderr).toContain('12-digit');
  }, 120_000);

  it('names resourcePrefix, not a CDK bucket error, when the prefix makes a bucket name too long', async () => {
    const bad = await cdk([
      'synth',
      '--quiet',
      '-o',
      join(outdir, 'long'),
      '-c',
      'config=zombie-sweep.config.example.json',
      '-c',
      `zombieSweep.resourcePrefix=${'p'.repeat(24)}`,
      '-c',
      'zombieSweep.hubRegion=ap-southeast-2',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('resourcePrefix');
    expect(bad.stderr).toContain('S3 allows 63');
    expect(bad.stderr).not.toMatch(/at .*aws-cdk-lib/);
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../cli/commands/doctor.ts';
import { apiGatewayStore, cloudFormationStore, organizationsAdminStore, secretsManagerStore, snsStore } from '../../local/sim/index.ts';
import type { Simulator } from '../../local/sim/server.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { STACKSETS_SERVICE_PRINCIPAL, type CheckResult } from '../../src/deploy/preflight.ts';
import { DEV, MGMT, ORG_ID, OU_WORKLOADS, assumeInto, startSmallOrg } from '../sim/core-fixtures.ts';

/**
 * `zombie-sweep doctor` against the simulated organization, as a platform team runs it before the
 * first deploy: the hub is DEV, a member account to be registered as delegated administrator. Each
 * prerequisite the guide lists is first missing and named, then in place.
 */
const REGION = 'us-east-1';
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'zombie-sweep.mjs');
const dir = mkdtempSync(join(tmpdir(), 'zs-doctor-'));
let sim: Simulator;

const hubConfig = {
  hubAccountId: DEV,
  hubRegion: REGION,
  organizationId: ORG_ID,
  managementAccountId: MGMT,
  targetOus: [OU_WORKLOADS],
  approvers: ['approver@bank.example'],
  operators: ['oncall@bank.example'],
  approvalApi: { cloudWatchRole: 'existing' },
  externalIdSecret: 'platform/zombie-sweep-external-id',
  // Enabled for DEV? No: DEV has us-east-1 and eu-west-1 only.
  stackSetRegion: 'ap-southeast-3',
};

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** A factory acting as the hub account (DEV), through the simulator's STS. */
async function hubFactory(): Promise<ClientFactory> {
  const creds = await assumeInto(sim, DEV);
  return new ClientFactory({ hubRegion: REGION, sessionName: 'doctor-test', credentials: async () => creds, endpoint: sim.url });
}

async function doctor(configPath: string, cliVersion: string | undefined): Promise<Record<string, CheckResult>> {
  let out = '';
  const results = await runDoctor(
    { config: configPath, output: 'table' },
    { stdout: (t) => (out += t), env: process.env, factory: await hubFactory(), awsCliVersion: async () => cliVersion },
  );
  expect(out).toContain('check');
  return Object.fromEntries(results.map((r) => [r.id, r]));
}

beforeAll(async () => {
  sim = await startSmallOrg();
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('zombie-sweep doctor', () => {
  it('names every missing prerequisite on a fresh hub account, with what to run', async () => {
    const checks = await doctor(writeConfig('fresh.json', hubConfig), undefined);
    expect(checks.credentials!.status).toBe('ok');
    expect(checks.organization!.status).toBe('ok');
    expect(checks['aws-cli']).toMatchObject({ status: 'missing', fix: expect.stringContaining('AWS CLI v2') });
    // Not a delegated admin yet, so it may not even list trusted services.
    expect(checks['stacksets-trusted-access']!.status).toBe('unknown');
    expect(checks['delegated-admin']).toMatchObject({
      status: 'missing',
      fix: expect.stringContaining(`register-delegated-administrator --account-id ${DEV}`),
    });
    expect(checks['cdk-bootstrap']).toMatchObject({ status: 'missing', fix: `npx cdk bootstrap aws://${DEV}/${REGION} --profile hub` });
    expect(checks['stackset-region']).toMatchObject({ status: 'missing', message: expect.stringContaining('ap-southeast-3 is not enabled') });
    expect(checks['api-gateway-logging-role']).toMatchObject({ status: 'missing', message: expect.stringContaining('no API Gateway CloudWatch role') });
    expect(checks['external-id-secret']).toMatchObject({
      status: 'missing',
      message: expect.stringContaining('platform/zombie-sweep-external-id does not exist'),
    });
    // Before the deploy there are no topics: nothing to confirm yet.
    expect(checks['sns-confirmations']!.status).toBe('ok');
  });

  it('rejects AWS CLI v1', async () => {
    const checks = await doctor(writeConfig('v1.json', hubConfig), 'aws-cli/1.29.0 Python/3.9.6 Linux/5.10 botocore/1.31.0');
    expect(checks['aws-cli']).toMatchObject({ status: 'missing', message: expect.stringContaining('assume v2') });
  });

  it('passes once everything is in place, and warns about approvers who have not confirmed', async () => {
    const orgs = organizationsAdminStore(sim.world);
    orgs.enableServiceAccess(STACKSETS_SERVICE_PRINCIPAL);
    orgs.registerDelegatedAdministrator(DEV, STACKSETS_SERVICE_PRINCIPAL);
    cloudFormationStore(sim.world, DEV, REGION).putStack({ name: 'CDKToolkit', status: 'UPDATE_COMPLETE', outputs: { BootstrapVersion: '21' } });
    apiGatewayStore(sim.world, DEV, REGION).setCloudWatchRole(`arn:aws:iam::${DEV}:role/platform-apigateway-logs`);
    secretsManagerStore(sim.world, DEV, REGION).put('platform/zombie-sweep-external-id', 'a-long-enough-external-id-0123456789');
    // What the deploy creates: the topics and one email subscription each; the approver has not clicked yet.
    const sns = new SNSClient({ region: REGION, endpoint: sim.url, credentials: await assumeInto(sim, DEV) });
    for (const [topic, email] of [
      ['zombie-sweep-notifications', 'approver@bank.example'],
      ['zombie-sweep-alarms', 'oncall@bank.example'],
    ] as const) {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: topic }));
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: email }));
    }
    sns.destroy();
    snsStore(sim.world, DEV, REGION)
      .subscriptions()
      .find((s) => s.endpoint === 'approver@bank.example')!.pendingConfirmation = true;

    const checks = await doctor(writeConfig('ready.json', { ...hubConfig, stackSetRegion: 'eu-west-1' }), 'aws-cli/2.17.20 Python/3.11.9 Linux/6.1 exe/x86_64');
    const statuses = Object.fromEntries(Object.values(checks).map((c) => [c.id, c.status]));
    expect(statuses).toEqual({
      'aws-cli': 'ok',
      credentials: 'ok',
      organization: 'ok',
      'stacksets-trusted-access': 'ok',
      'delegated-admin': 'ok',
      'cdk-bootstrap': 'ok',
      'stackset-region': 'ok',
      'api-gateway-logging-role': 'ok',
      'external-id-secret': 'ok',
      'sns-confirmations': 'warn',
    });
    expect(checks['sns-confirmations']!.message).toContain('approver@bank.example');
    expect(checks['sns-confirmations']!.message).not.toContain('oncall@bank.example');
  });

  it('warns before the stack takes over an account-level API Gateway role someone else set', async () => {
    const checks = await doctor(
      writeConfig('create.json', { ...hubConfig, stackSetRegion: 'eu-west-1', approvalApi: { cloudWatchRole: 'create' } }),
      'aws-cli/2.17.20',
    );
    expect(checks['api-gateway-logging-role']).toMatchObject({ status: 'warn', message: expect.stringContaining('platform-apigateway-logs') });
  });

  it('flags an old CDK bootstrap', async () => {
    cloudFormationStore(sim.world, DEV, REGION).putStack({ name: 'CDKToolkit', status: 'CREATE_COMPLETE', outputs: { BootstrapVersion: '4' } });
    const checks = await doctor(writeConfig('old-bootstrap.json', hubConfig), 'aws-cli/2.17.20');
    expect(checks['cdk-bootstrap']).toMatchObject({ status: 'missing', message: expect.stringContaining('version 4 is older than 6') });
  });

  it('runs as a CLI verb: prints the table and the fixes, exits 1 when something is missing', async () => {
    // The simulator's default credentials act as the management account; make it the hub for this run.
    const path = writeConfig('cli.json', {
      ...hubConfig,
      hubAccountId: MGMT,
      approvalApi: { cloudWatchRole: 'create' },
      externalIdSecret: undefined,
      stackSetRegion: undefined,
    });
    const env = { ...process.env, ...sim.env(), PATH: '/nonexistent', AWS_PROFILE: undefined };
    const run = await promisify(execFile)(process.execPath, [CLI, 'doctor', '--config', path], { env: env as NodeJS.ProcessEnv, timeout: 60_000 }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/aws-cli\s+MISSING/);
    expect(run.stdout).toMatch(/cdk-bootstrap\s+MISSING/);
    expect(run.stdout).toMatch(/delegated-admin\s+OK/);
    expect(run.stdout).toContain('Not ready');
    expect(run.stderr).toBe('');
  });
});

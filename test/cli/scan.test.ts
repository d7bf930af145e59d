import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_ADMIN_CREDENTIALS, startSimulator, type Simulator } from '../../local/sim/server.ts';
import { Command } from 'commander';
import { registerScan, runScan, type ScanFlags } from '../../cli/commands/scan.ts';
import { PUBLIC_FINDING_FIELDS, renderScanTable, type ScanJson } from '../../cli/shared/scan-report.ts';
import { createProgress } from '../../cli/shared/progress.ts';
import { toCsv } from '../../cli/shared/output.ts';
import { fixedClock } from '../../src/core/clock.ts';
import type { Finding } from '../../src/core/schemas.ts';
import { errorFinding } from '../../src/detection/findings.ts';
import { LAST_INVOKED_UNKNOWN } from '../../src/detection/history.ts';
import { PRICE_TABLE } from '../../src/detection/pricing.ts';
import { member, orgWorld, Seeder } from '../detection/seed.ts';
import { useSimulatorEnv } from '../detection/sim-env.ts';

/**
 * `zombie-sweep scan` as users run it: a few real subprocesses (exit codes, stdout/stderr split,
 * help) and in-process runs for the output formats and targeting flags.
 */
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const MGMT = '400000000001';
const TEAM_A = '400000000002';
const TEAM_B = '400000000003';
const NO_ROLE = '400000000004';
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'zombie-sweep.mjs');

let sim: Simulator;
let restoreEnv: () => void;

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function inProcess(flags: Partial<ScanFlags>) {
  let stdout = '';
  let stderr = '';
  const run = await runScan({ output: 'table', concurrency: '8', regions: 'us-east-1', ...flags } as ScanFlags, {
    stdout: (text) => (stdout += text),
    stderr: { write: (text: string) => (stderr += text) },
    env: process.env,
    clock: fixedClock(NOW),
  });
  return { run, stdout, stderr };
}

const runs: Record<string, Promise<CliRun>> = {};

beforeAll(async () => {
  const world = orgWorld(NOW, [
    member(MGMT, ['us-east-1'], { roles: new Map() }),
    member(TEAM_A, ['us-east-1', 'eu-west-1']),
    member(TEAM_B, ['us-east-1']),
    member(NO_ROLE, ['us-east-1'], { roles: new Map() }),
  ]);
  const seed = new Seeder(world, NOW);
  seed.endpoint(MGMT, 'us-east-1', { name: 'mgmt-demo', variants: [{ name: 'AllTraffic', instanceType: 'ml.m5.large' }] });
  seed.endpoint(TEAM_A, 'us-east-1', { name: 'a-gpu-zombie', variants: [{ name: 'AllTraffic', instanceType: 'ml.g4dn.xlarge', count: 2 }] });
  seed.endpoint(TEAM_A, 'us-east-1', { name: 'a-busy' });
  seed.variantInvocations(TEAM_A, 'us-east-1', 'a-busy', 'AllTraffic', { 2: 50 });
  seed.endpoint(TEAM_A, 'eu-west-1', { name: 'a-eu-zombie', variants: [{ name: 'AllTraffic', instanceType: 'ml.c5.xlarge' }] });
  seed.endpoint(TEAM_B, 'us-east-1', { name: 'b-trickle' });
  seed.variantInvocations(TEAM_B, 'us-east-1', 'b-trickle', 'AllTraffic', { 12: 3 });
  sim = await startSimulator({ world });
  restoreEnv = useSimulatorEnv(sim);

  const base = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_EC2_METADATA_DISABLED: 'true' };
  const simEnv = { ...base, ...sim.env() };
  const empty = mkdtempSync(join(tmpdir(), 'zs-nocreds-'));
  writeFileSync(join(empty, 'config'), '');
  const noCreds = {
    ...base,
    AWS_ENDPOINT_URL: sim.url,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(empty, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(empty, 'config'),
  };
  // Started together: each subprocess pays tsx start-up, the simulator answers them all.
  runs.json = cli(['scan', '--org', '--regions', 'us-east-1,eu-west-1', '--output', 'json', '--allow-partial'], simEnv);
  runs.partial = cli(['scan', '--org', '--regions', 'us-east-1,eu-west-1'], { ...simEnv, COLUMNS: '100' });
  runs.typo = cli(['scan', '--regions', 'us-esat-1'], simEnv);
  runs.badFlag = cli(['scan', '--lookback-days', 'abc'], simEnv);
  runs.noCreds = cli(['scan', '--regions', 'us-east-1'], noCreds);
});
afterAll(async () => {
  await Promise.allSettled(Object.values(runs));
  restoreEnv();
  await sim.stop();
});

describe('zombie-sweep scan (subprocess)', () => {
  it('exits 0 with zombies found and prints exactly the documented JSON on stdout, progress on stderr', async () => {
    const run = await runs.json!;
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as ScanJson;
    expect(Object.keys(out)).toEqual(['summary', 'findings', 'targets', 'stats']);
    // MGMT and TEAM_B have no eu-west-1: reported not enabled, neither scanned nor "ok". NO_ROLE's regions cannot be read: both are tried.
    expect(out.summary).toMatchObject({ scanned: 4, targets: 6, notEnabled: 2, endpoints: 5, zombies: 3 });
    expect(out.targets).toContainEqual({ accountId: TEAM_B, region: 'eu-west-1', status: 'not-enabled' });
    for (const f of out.findings) expect(Object.keys(f)).toEqual([...PUBLIC_FINDING_FIELDS]);
    expect(out.findings.map((f) => [f.endpointName, f.verdict])).toEqual([
      ['a-gpu-zombie', 'zombie'],
      ['a-eu-zombie', 'zombie'],
      // Every billable endpoint is priced, so the order is by cost whatever the verdict.
      ['a-busy', 'active'],
      ['b-trickle', 'active'],
      ['mgmt-demo', 'zombie'],
    ]);
    expect(out.findings[0]).toMatchObject({
      accountId: TEAM_A,
      region: 'us-east-1',
      instanceType: 'ml.g4dn.xlarge',
      instanceCount: 2,
      invocations: 0,
      lastInvokedAt: 'never',
      endpointType: 'real-time',
    });
    expect(out.targets).toContainEqual({ accountId: NO_ROLE, region: 'us-east-1', status: 'unreachable', error: expect.stringContaining('AccessDenied') });
    expect(out.targets.filter((t) => t.status === 'ok')).toHaveLength(4);
    expect(out.stats.endpoints).toBe(5);
    // Every endpoint is described once; tags are read in one batch per target with idle endpoints (invoked
    // ones ride along), and with one auto-delete-after-filtered call per target with invoked endpoints only.
    expect(out.stats.apiCalls.byOperation['SageMaker:DescribeEndpoint']).toBe(5);
    expect(out.stats.apiCalls.byOperation['ResourceGroupsTaggingAPI:GetResources']).toBe(4);
    expect(out.stats.apiCalls.byOperation['SageMaker:ListTags']).toBeUndefined();
    expect(out.findings.find((f) => f.endpointName === 'a-busy')).toMatchObject({
      endpointType: 'real-time',
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      invocations: 50,
      monthlyCostUsd: 83.95,
    });
    expect(out.stats.apiCalls.total).toBe(Object.values(out.stats.apiCalls.byOperation).reduce((a, b) => a + b, 0));
    expect(run.stderr).toMatch(/scanning: \d+\/6/);
  });

  it('says first that a scan was partial, and exits 2 unless --allow-partial', async () => {
    const run = await runs.partial!;
    expect(run.code).toBe(2);
    expect(run.stdout.split('\n')[0]).toMatch(
      /^Scanned 4 of 6 account-regions \(2 more not enabled in their account\): 5 endpoints, 3 zombies; \$[\d,.]+\/month in all, \$[\d,.]+\/month idle/,
    );
    expect(run.stdout).toContain(`${NO_ROLE} us-east-1 unreachable`);
    expect(run.stdout).toContain(`${TEAM_B} eu-west-1 not enabled`);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/^zombie-sweep: PartialScanError: scanned 4 of 6 account-regions; 2 could not be scanned/);
    // COLUMNS=100: every table line fits.
    for (const line of run.stdout.split('\n').filter((l) => l.startsWith('4000'))) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('refuses a region name that is not a region, before any call', async () => {
    const run = await runs.typo!;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('zombie-sweep: InputValidationError: invalid --regions: "us-esat-1" is not an AWS region (did you mean us-east-1?)');
  });

  it('fails with a one-line cause naming a bad flag', async () => {
    const run = await runs.badFlag!;
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual(['zombie-sweep: InputValidationError: invalid --lookback-days: must be a whole number (got "abc")']);
  });

  it('fails with a one-line cause when there are no credentials', async () => {
    const run = await runs.noCreds!;
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^zombie-sweep: NoCredentialsError: no usable AWS credentials/);
  });
});

describe('zombie-sweep scan (in process)', () => {
  it('scans only the caller account by default', async () => {
    const { run } = await inProcess({ output: 'json' });
    expect(run.results.map((r) => `${r.accountId}/${r.region}/${r.status}`)).toEqual([`${MGMT}/us-east-1/ok`]);
    expect(run.findings.map((f) => f.endpointName)).toEqual(['mgmt-demo']);
  });

  it('renders a table sorted by $/month with totals per account and overall', async () => {
    const { stdout } = await inProcess({ org: true, excludeAccounts: NO_ROLE, regions: 'us-east-1,eu-west-1' });
    const lines = stdout.split('\n');
    const index = (text: string) => lines.findIndex((l) => l.replace(/\s+/g, ' ').includes(text));
    expect(lines[0]).toMatch(/^Scanned 4 of 4 account-regions/);
    lines.splice(0, 2);
    expect(lines[0]).toMatch(/^ACCOUNT\s+REGION\s+ENDPOINT\s+VERDICT\s+TYPE\s+INSTANCES\s+INVOCATIONS\s+LAST INVOKED\s+\$\/MONTH\s+REASON/);
    expect(index('a-gpu-zombie')).toBeLessThan(index('a-eu-zombie'));
    expect(index('a-eu-zombie')).toBeLessThan(index(`${TEAM_A} total`));
    expect(index(`${TEAM_A} total`)).toBeLessThan(index('mgmt-demo'));
    expect(lines[index(`${TEAM_A} total`)]).toMatch(/2 zombies\s+\$1,(\d{3})\.\d{2}/);
    expect(lines[index('TOTAL')]).toMatch(/3 zombies/);
    expect(lines[index('a-gpu-zombie')]).toContain('ml.g4dn.xlarge × 2');
    // Active endpoints are priced too: instance type from their config, count from DescribeEndpoint.
    expect(lines[index('a-busy')]).toMatch(/active\s+real-time\s+ml\.m5\.large × 1\s+50\s+\d{4}-\d{2}-\d{2}\s+\$83\.95\s+50 invocations/);
    expect(stdout).not.toContain('Not scanned');
    expect(stdout).toContain(`${MGMT} eu-west-1 not enabled`);
    expect(stdout).toContain(
      `Costs are estimates from the unverified ${PRICE_TABLE.compiledOn} price table (src/detection/prices/); refresh it with \`zombie-sweep prices refresh\` (docs/detection.md).`,
    );
  });

  it('writes CSV with a header, one row per finding, RFC 4180 quoting', async () => {
    const { stdout } = await inProcess({ org: true, accounts: TEAM_B, output: 'csv' });
    const [header, row] = stdout.split('\r\n');
    expect(header).toBe(PUBLIC_FINDING_FIELDS.join(','));
    expect(row).toMatch(
      new RegExp(
        `^${TEAM_B},us-east-1,b-trickle,arn:aws:sagemaker:us-east-1:${TEAM_B}:endpoint/b-trickle,active,3 invocations in the last 30 days \\(threshold 0\\); cost estimated from the unverified ${PRICE_TABLE.compiledOn} price table,real-time,ml.m5.large,1,3,\\d{4}-\\d{2}-\\d{2}T00:00:00.000Z,83.95$`,
      ),
    );
    expect(toCsv([{ a: 'x, "y"', b: null }], ['a', 'b'])).toBe('a,b\r\n"x, ""y""",\r\n');
  });

  it('keeps CSV to data rows and notes an unverified price table on stderr and in each priced reason', async () => {
    const { stdout, stderr } = await inProcess({ org: true, accounts: TEAM_A, regions: 'us-east-1', output: 'csv' });
    const rows = stdout.split('\r\n').filter(Boolean);
    expect(rows.slice(1).map((r) => r.split(',')[2])).toEqual(['a-gpu-zombie', 'a-busy']);
    expect(rows[1]).toContain(`cost estimated from the unverified ${PRICE_TABLE.compiledOn} price table`);
    expect(stdout).not.toContain('Costs are estimates');
    expect(stderr).toContain(`Costs are estimates from the unverified ${PRICE_TABLE.compiledOn} price table`);
  });

  it('shows "never" only where the history was read', () => {
    const base = errorFinding(TEAM_A, 'us-east-1', 'x', 'arn:x', 'endpoint was deleted while the scan described it');
    const row = (over: Partial<Finding>) => ({ ...base, endpointName: over.verdict ?? 'x', invocations: 0, variants: [], ...over });
    const table = renderScanTable({
      notEnabled: [],
      results: [
        {
          accountId: TEAM_A,
          region: 'us-east-1',
          status: 'ok',
          scannedAt: NOW.toISOString(),
          findings: [
            row({ verdict: 'not-billable', reason: 'no instances running: costs nothing while idle' }),
            row({ verdict: 'exempt', reason: `tag zombie-exempt=true; ${LAST_INVOKED_UNKNOWN} (AccessDenied: no)` }),
            { ...base, endpointName: 'error' },
          ],
        },
      ],
    });
    const lines = table.split('\n').slice(2);
    const column = lines[0]!.indexOf('LAST INVOKED');
    const lastInvoked = (name: string) =>
      lines
        .find((l) => l.includes(` ${name} `))!
        .slice(column)
        .split(' ')[0];
    expect([lastInvoked('not-billable'), lastInvoked('exempt'), lastInvoked('error')]).toEqual(['never', '-', '-']);
  });

  it('applies --threshold and --lookback-days', async () => {
    const lenient = await inProcess({ org: true, accounts: TEAM_B, threshold: '5' });
    expect(lenient.run.findings[0]).toMatchObject({ endpointName: 'b-trickle', verdict: 'zombie', invocations: 3 });
    expect(lenient.run.findings[0]!.lastInvokedAt).not.toBeNull();
    const shortWindow = await inProcess({ org: true, accounts: TEAM_B, lookbackDays: '7', minAgeDays: '7' });
    expect(shortWindow.run.findings[0]).toMatchObject({ verdict: 'zombie', invocations: 0 });
  });

  it('fails when every target failed, after printing what it found', async () => {
    let stdout = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: { write: () => true }, env: process.env, clock: fixedClock(NOW) };
    await expect(runScan({ org: true, accounts: NO_ROLE, regions: 'us-east-1', output: 'table', concurrency: '8' }, io)).rejects.toMatchObject({
      name: 'AllTargetsFailedError',
      message: expect.stringContaining('all 1 account-regions failed'),
    });
    expect(stdout).toContain(`${NO_ROLE} us-east-1 unreachable`);
  });

  it('explains every flag in --help', () => {
    const program = new Command('zombie-sweep');
    registerScan(program);
    const help = program.commands[0]!.helpInformation();
    for (const flag of [
      '--org',
      '--role-name',
      '--external-id',
      '--accounts',
      '--exclude-accounts',
      '--ous',
      '--regions',
      '--lookback-days',
      '--min-age-days',
      '--threshold',
      '--output',
      '--profile',
    ]) {
      expect(help).toContain(flag);
    }
  });

  it('uses --profile from the shared credentials file, and names a profile that does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-profile-'));
    writeFileSync(
      join(dir, 'credentials'),
      `[team]\naws_access_key_id = ${SIM_ADMIN_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${SIM_ADMIN_CREDENTIALS.secretAccessKey}\n`,
    );
    writeFileSync(join(dir, 'config'), '');
    const keys = ['AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
    process.env.AWS_CONFIG_FILE = join(dir, 'config');
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const { run } = await inProcess({ profile: 'team' });
      expect(run.findings.map((f) => f.endpointName)).toEqual(['mgmt-demo']);
      await expect(inProcess({ profile: 'nobody' })).rejects.toMatchObject({
        name: 'NoCredentialsError',
        message: expect.stringContaining('profile "nobody"'),
      });
    } finally {
      for (const k of keys) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });

  it('names the flag in every validation error', async () => {
    await expect(inProcess({ org: true, accounts: '12345' })).rejects.toThrow('invalid --accounts: must be a 12-digit AWS account id (got "12345")');
    await expect(inProcess({ ous: 'ou-abcd-12345678' })).rejects.toThrow('invalid --ous: only applies with --org');
    await expect(inProcess({ regions: 'mars' })).rejects.toThrow('invalid --regions');
    await expect(inProcess({ regions: 'cn-north-1' })).rejects.toThrow('invalid --regions: cn-north-1 is not in the aws partition of your credentials');
    await expect(inProcess({ output: 'html' })).rejects.toThrow('invalid --output: html needs --file');
    await expect(inProcess({ priceFile: '/nonexistent/prices.json' })).rejects.toThrow('invalid --price-file: cannot read /nonexistent/prices.json: ENOENT');
    await expect(inProcess({ lookbackDays: '900' })).rejects.toThrow('invalid --lookback-days');
    await expect(inProcess({ concurrency: '0' })).rejects.toThrow('invalid --concurrency');
  });
});

describe('progress', () => {
  it('draws one bar in place on a terminal and clears it at the end', () => {
    let written = '';
    const progress = createProgress({ isTTY: true, columns: 80, write: (t: string) => (written += t) }, 'scanning');
    progress.update(3, 3, 'done');
    progress.finish('scanned 3/3');
    expect(written).toContain('\r\x1b[2Kscanning [############################] 3/3 done');
    expect(written.endsWith('\r\x1b[2Kscanned 3/3\n')).toBe(true);
  });
});

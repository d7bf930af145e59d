import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/scan/handler.ts';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { runScan } from '../../cli/commands/scan.ts';
import type { ScanJson } from '../../cli/shared/scan-report.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { fixedClock } from '../../src/core/clock.ts';
import { silentLog } from '../../src/core/log.ts';
import { FindingsFileSchema, type ScanSummary } from '../../src/core/schemas.ts';
import { deleteOnFirstDescribe, SCENARIO_EXPECTATIONS, SCENARIO_REGION, seedScenarioTable } from './scenario-table.ts';
import { member, orgWorld, ROLE, Seeder } from './seed.ts';
import { useSimulatorEnv } from './sim-env.ts';

/**
 * The scenario table end to end through both entry points a user has, the scan
 * Lambda (findings file in the archive bucket) and `zombie-sweep scan --output json`, against one
 * simulator. Both must reach the verdict and kind every row expects, and report the target whose member
 * role is missing as unreachable.
 */
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const MGMT = '510000000001';
const ACCT = '510000000002';
const NO_ROLE = '510000000003';
const BUCKET = 'zombie-sweep-archive-scenario';
const expected = new Map(SCENARIO_EXPECTATIONS.map(([name, verdict, type]) => [name, { verdict, endpointType: type }]));

let sim: Simulator;
let restoreEnv: () => void;
let s3: S3Client;

beforeAll(async () => {
  const world = orgWorld(NOW, [
    member(MGMT, [SCENARIO_REGION], { roles: new Map() }),
    member(ACCT, [SCENARIO_REGION]),
    member(NO_ROLE, [SCENARIO_REGION], { roles: new Map() }),
  ]);
  seedScenarioTable(new Seeder(world, NOW), ACCT);
  sim = await startSimulator({ world });
  restoreEnv = useSimulatorEnv(sim);
  s3 = new S3Client(sim.clientConfig());
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => {
  s3.destroy();
  restoreEnv();
  await sim.stop();
});

const verdictsOf = (findings: readonly { endpointName: string; verdict: string; endpointType: string | null }[]) =>
  new Map(findings.map((f) => [f.endpointName, { verdict: f.verdict, endpointType: f.endpointType }]));

describe('the scenario table through the scan Lambda', () => {
  const handler = () =>
    createHandler({
      archiveBucket: BUCKET,
      s3,
      factoryFor: (counter, sessionName) => new ClientFactory({ hubRegion: SCENARIO_REGION, sessionName, s3ForcePathStyle: true, counter }),
      clock: fixedClock(NOW),
      log: silentLog,
    });

  async function readFindings(summary: ScanSummary) {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: summary.findingsKey! }));
    return FindingsFileSchema.parse(JSON.parse(await out.Body!.transformToString()));
  }

  it('writes a findings file with every expected verdict and kind', async () => {
    const restore = deleteOnFirstDescribe(sim, ACCT);
    let summary: ScanSummary;
    try {
      summary = await handler()({ sweepId: 'sweep-table', accountId: ACCT, region: SCENARIO_REGION, roleName: ROLE });
    } finally {
      restore();
    }
    expect(summary).toMatchObject({ status: 'ok', findingsKey: `sweeps/sweep-table/findings/${ACCT}/${SCENARIO_REGION}.json` });
    const file = await readFindings(summary);
    expect(verdictsOf(file.findings)).toEqual(expected);
    const zombies = SCENARIO_EXPECTATIONS.filter(([, verdict]) => verdict === 'zombie').length;
    expect(summary.counts).toMatchObject({ zombie: zombies, error: 1 });
  });

  it('reports the account without the member role as unreachable', async () => {
    const summary = await handler()({ sweepId: 'sweep-table', accountId: NO_ROLE, region: SCENARIO_REGION, roleName: ROLE });
    expect(summary).toMatchObject({ status: 'unreachable', reason: expect.stringContaining('AccessDenied') });
    expect(await readFindings(summary)).toMatchObject({ status: 'unreachable', findings: [] });
  });
});

describe('the scenario table through `zombie-sweep scan --org --output json`', () => {
  it('prints every expected verdict and kind, and the unreachable target', async () => {
    let stdout = '';
    const restore = deleteOnFirstDescribe(sim, ACCT);
    try {
      await runScan(
        { org: true, roleName: ROLE, accounts: `${ACCT},${NO_ROLE}`, regions: SCENARIO_REGION, output: 'json', concurrency: '8', allowPartial: true },
        { stdout: (text) => (stdout += text), stderr: { write: () => true }, env: process.env, clock: fixedClock(NOW) },
      );
    } finally {
      restore();
    }
    const out = JSON.parse(stdout) as ScanJson;
    expect(verdictsOf(out.findings.filter((f) => f.accountId === ACCT))).toEqual(expected);
    expect(out.findings.every((f) => f.accountId === ACCT)).toBe(true);
    expect(out.targets).toEqual([
      { accountId: ACCT, region: SCENARIO_REGION, status: 'ok' },
      { accountId: NO_ROLE, region: SCENARIO_REGION, status: 'unreachable', error: expect.stringContaining('AccessDenied') },
    ]);
  });
});

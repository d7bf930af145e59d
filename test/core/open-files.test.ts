import { readdirSync } from 'node:fs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { buildWorld, generateOrg } from '../../local/sim/scenario/index.ts';
import { handler } from '../../functions/scan/handler.ts';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { ClientFactory, DEFAULT_MAX_SOCKETS, sharedHttpHandler } from '../../src/core/clients.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLog } from '../../src/core/log.ts';
import { resolveDetectionSettings } from '../../src/core/schemas.ts';
import { scanTargets } from '../../src/detection/scan-targets.ts';
import { useSimulatorEnv } from '../detection/sim-env.ts';

/**
 * File descriptors are what an organization-wide scan ran out of: every SDK client kept its own
 * keep-alive sockets. Lambda allows 1,024 per execution environment. The simulator runs in this
 * process, so its accepted sockets count too: at most one per client socket.
 */
const openFiles = () => readdirSync('/proc/self/fd').length;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'];
const BUCKET = 'zombie-sweep-open-files';

let sim: Simulator;
let restoreEnv: () => void;
// 1,250 accounts x 4 regions; the first 50 accounts hold an endpoint of some kind in every region
// (a full scan each), the others are listed empty: what most account-regions of an organization look like.
const withEndpoints = generateOrg({ accounts: 50, regions: REGIONS, endpointsPerRegion: 1, zombieFraction: 0.25, seed: 11 });
const scenario = {
  ...generateOrg({ accounts: 1_250, regions: REGIONS, endpointsPerRegion: 0, zombieFraction: 0.25, seed: 11 }),
  endpoints: withEndpoints.endpoints,
};
const ROLE = scenario.memberRoleName;
const members = scenario.accounts.filter((a) => a.id !== scenario.organization.managementAccountId);

beforeAll(async () => {
  sim = await startSimulator({ world: buildWorld(scenario) });
  restoreEnv = useSimulatorEnv(sim);
}, 120_000);
afterAll(async () => {
  restoreEnv();
  await sim.stop();
});

describe('open files', () => {
  it('stay bounded while one process scans 5,000 account-regions, and scanned targets keep no clients', async () => {
    const baseline = openFiles();
    const counter = new ApiCallCounter();
    const factory = new ClientFactory({ hubRegion: 'us-east-1', sessionName: 'zombie-sweep-open-files', s3ForcePathStyle: true, counter });
    const targets = members.flatMap((a) => REGIONS.map((region) => ({ accountId: a.id, region, roleName: ROLE })));
    expect(targets).toHaveLength(5_000);
    let peak = 0;
    let peakClients = 0;
    const results = await scanTargets({
      factory,
      targets,
      settings: resolveDetectionSettings({}),
      clock: systemClock,
      log: silentLog,
      onTargetDone: () => {
        peak = Math.max(peak, openFiles());
        peakClients = Math.max(peakClients, factory.clientCount);
      },
    });
    expect(results.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(results.flatMap((r) => r.findings)).toHaveLength(200);
    // Client sockets plus the simulator's side of each, whatever the number of account-regions.
    expect(peak - baseline).toBeLessThanOrEqual(2 * DEFAULT_MAX_SOCKETS + 16);
    expect(sharedHttpHandler().openSockets()).toBeLessThanOrEqual(DEFAULT_MAX_SOCKETS);
    // Only targets in flight hold clients (three services each), plus STS.
    expect(peakClients).toBeLessThanOrEqual(3 * 64 + 1);
    expect(factory.clientCount).toBeLessThanOrEqual(1);
    // One AssumeRole per account, however many of its regions are scanned.
    expect(counter.stats().byOperation['STS:AssumeRole']).toBe(members.length);
  }, 600_000);

  it('do not grow over 200 invocations of the scan Lambda in one warm process', async () => {
    process.env.ARCHIVE_BUCKET = BUCKET;
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const s3 = new S3Client(sim.clientConfig());
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    s3.destroy();
    const invoke = (i: number) => {
      const account = members[Math.floor(i / REGIONS.length) % 50]!;
      // Each of the 200 account-regions with an endpoint, once: a full scan per invocation.
      return handler({ sweepId: 'sweep-open-files', accountId: account.id, region: REGIONS[i % REGIONS.length]!, roleName: ROLE });
    };
    for (let i = 0; i < 20; i++) await invoke(i);
    const warm = openFiles();
    for (let i = 20; i < 200; i++) expect((await invoke(i)).status).toBe('ok');
    expect(openFiles() - warm).toBeLessThanOrEqual(8);
    expect(openFiles()).toBeLessThan(1_024);
  }, 300_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeRegionsCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import type { Simulator } from '../../local/sim/server.ts';
import { DEV, PROD, PROD_EXTERNAL_ID, assumeInto, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;
let admin: EC2Client;

beforeAll(async () => {
  sim = await startSmallOrg();
  admin = new EC2Client({ ...sim.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  admin.destroy();
  await sim.stop();
});

const names = (out: { Regions?: Array<{ RegionName?: string }> }) => (out.Regions ?? []).map((r) => r.RegionName).sort();

describe('EC2 DescribeRegions', () => {
  it('answers the regions enabled for the calling account (what `--regions all` scans)', async () => {
    expect(names(await admin.send(new DescribeRegionsCommand({})))).toEqual(['us-east-1', 'us-west-2']);

    const dev = new EC2Client({ ...sim.clientConfig('eu-west-1'), credentials: await assumeInto(sim, DEV) });
    const out = await dev.send(new DescribeRegionsCommand({}));
    expect(out.Regions).toEqual([
      { RegionName: 'us-east-1', Endpoint: 'ec2.us-east-1.amazonaws.com', OptInStatus: 'opt-in-not-required' },
      { RegionName: 'eu-west-1', Endpoint: 'ec2.eu-west-1.amazonaws.com', OptInStatus: 'opt-in-not-required' },
    ]);
    dev.destroy();

    const prod = new EC2Client({ ...sim.clientConfig(), credentials: await assumeInto(sim, PROD, { externalId: PROD_EXTERNAL_ID }) });
    const prodRegions = await prod.send(new DescribeRegionsCommand({}));
    expect(prodRegions.Regions?.find((r) => r.RegionName === 'ap-southeast-3')?.OptInStatus).toBe('opted-in');
    prod.destroy();
  });

  it('lists disabled regions as not-opted-in with AllRegions, and filters like EC2', async () => {
    const all = await admin.send(new DescribeRegionsCommand({ AllRegions: true }));
    expect(all.Regions!.length).toBeGreaterThanOrEqual(30);
    expect(
      all
        .Regions!.filter((r) => r.OptInStatus !== 'not-opted-in')
        .map((r) => r.RegionName)
        .sort(),
    ).toEqual(['us-east-1', 'us-west-2']);
    expect(all.Regions!.find((r) => r.RegionName === 'af-south-1')?.OptInStatus).toBe('not-opted-in');

    const enabledOnly = await admin.send(
      new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['opt-in-not-required', 'opted-in'] }] }),
    );
    expect(names(enabledOnly)).toEqual(['us-east-1', 'us-west-2']);
    const europe = await admin.send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'region-name', Values: ['eu-west-*'] }] }));
    expect(names(europe)).toEqual(['eu-west-1', 'eu-west-2', 'eu-west-3']);
    // "You can specify any Regions, whether they are enabled and disabled for your account."
    const named = await admin.send(new DescribeRegionsCommand({ RegionNames: ['us-east-1', 'eu-central-1'] }));
    expect(named.Regions?.map((r) => [r.RegionName, r.OptInStatus])).toEqual([
      ['us-east-1', 'opt-in-not-required'],
      ['eu-central-1', 'not-opted-in'],
    ]);
  });

  it('answers bad input in the EC2 error format, parsed by the SDK', async () => {
    const badFilter = await admin
      .send(new DescribeRegionsCommand({ Filters: [{ Name: 'colour', Values: ['x'] }] }))
      .catch((e: unknown) => e as EC2ServiceException);
    expect(badFilter).toBeInstanceOf(EC2ServiceException);
    expect(badFilter).toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'colour' is invalid", $metadata: { httpStatusCode: 400 } });
    expect(badFilter.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await expect(admin.send(new DescribeRegionsCommand({ RegionNames: ['mars-north-1'] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

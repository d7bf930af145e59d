import { describe, expect, it } from 'vitest';
import { hourlyInstancePrice, monthlyCost, PRICE_TABLE, unverifiedPriceCaveat, unverifiedPriceTables } from '../../src/detection/pricing.ts';

const REQUIRED_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1'];

describe('bundled price table', () => {
  it('is dated, says it is unverified, and tells how to refresh it', () => {
    expect(PRICE_TABLE.compiledOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.verified).toBe(false);
    expect(PRICE_TABLE.provenance.join(' ')).toMatch(/Price List API/);
  });

  it('covers the required regions with the common hosting families', () => {
    for (const region of REQUIRED_REGIONS) {
      for (const type of ['ml.m5.large', 'ml.c5.xlarge', 'ml.g4dn.xlarge', 'ml.g5.2xlarge', 'ml.p3.2xlarge', 'ml.inf2.xlarge', 'ml.t2.medium']) {
        expect(hourlyInstancePrice(region, type), `${type} in ${region}`).toBeGreaterThan(0);
      }
    }
  });
});

describe('monthly cost', () => {
  it('is hourly price x 730 x current instances, summed over variants', () => {
    const cost = monthlyCost('us-east-1', [
      { variantName: 'a', instanceType: 'ml.g4dn.xlarge', instanceCount: 2 },
      { variantName: 'b', instanceType: 'ml.m5.large', instanceCount: 1 },
    ]);
    expect(cost.monthlyCostUsd).toBeCloseTo(0.7364 * 730 * 2 + 0.115 * 730, 2);
  });

  it('charges serverless only for provisioned concurrency', () => {
    expect(monthlyCost('us-east-1', [{ variantName: 's', instanceCount: 0, serverless: { memorySizeInMB: 2048, maxConcurrency: 10 } }]).monthlyCostUsd).toBe(0);
    const provisioned = monthlyCost('us-east-1', [
      { variantName: 's', instanceCount: 0, serverless: { memorySizeInMB: 2048, maxConcurrency: 10, provisionedConcurrency: 2 } },
    ]);
    const perGbSecond = PRICE_TABLE.regions['us-east-1']!.serverlessProvisionedConcurrencyUsdPerGbSecond;
    expect(provisioned.monthlyCostUsd).toBeCloseTo(2 * 2 * perGbSecond * 3600 * 730, 2);
  });

  it('reports an unknown instance type or region as unknown, never a default', () => {
    const unknownType = monthlyCost('us-east-1', [{ variantName: 'a', instanceType: 'ml.zz9.huge', instanceCount: 1 }]);
    expect(unknownType).toEqual({ monthlyCostUsd: null, unknownReason: expect.stringContaining('no price for ml.zz9.huge in us-east-1') });
    const unknownRegion = monthlyCost('mars-north-1', [{ variantName: 'a', instanceType: 'ml.m5.large', instanceCount: 1 }]);
    expect(unknownRegion).toEqual({ monthlyCostUsd: null, unknownReason: expect.stringContaining('no prices for region mars-north-1') });
    const missingType = monthlyCost('us-east-1', [{ variantName: 'a', instanceCount: 1 }]);
    expect(missingType.monthlyCostUsd).toBeNull();
    expect(missingType.unknownReason).toContain('instance type of variant a unknown');
  });

  it('costs nothing for variants without instances', () => {
    expect(monthlyCost('us-east-1', [{ variantName: 'a', instanceType: 'ml.zz9.huge', instanceCount: 0 }]).monthlyCostUsd).toBe(0);
  });
});

describe('an unverified price table', () => {
  const variants = [{ variantName: 'a', instanceType: 'ml.m5.large', instanceCount: 1 }];

  it('puts its date on every cost it produces, and says nothing when verified or when nothing was priced', () => {
    expect(monthlyCost('us-east-1', variants)).toMatchObject({ caveat: `cost estimated from the unverified ${PRICE_TABLE.compiledOn} price table` });
    expect(monthlyCost('us-east-1', variants, { ...PRICE_TABLE, verified: true }).caveat).toBeUndefined();
    expect(monthlyCost('us-east-1', [{ variantName: 'a', instanceType: 'ml.m5.large', instanceCount: 0 }]).caveat).toBeUndefined();
    expect(unverifiedPriceCaveat({ ...PRICE_TABLE, verified: true })).toBeUndefined();
  });

  it('is found again in reasons for a report footer', () => {
    const reasons = ['0 invocations; cost estimated from the unverified 2026-11-22 price table', 'active', `x; ${unverifiedPriceCaveat()!}`];
    expect(unverifiedPriceTables(reasons)).toEqual([...new Set(['2026-11-22', PRICE_TABLE.compiledOn])].sort());
    expect(unverifiedPriceTables(['active'])).toEqual([]);
  });
});

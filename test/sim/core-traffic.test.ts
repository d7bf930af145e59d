import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DescribeOrganizationCommand, OrganizationsClient, TooManyRequestsException } from '@aws-sdk/client-organizations';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ListTopicsCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { Simulator } from '../../local/sim/server.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { DEV, MGMT, ROLE, assumeInto, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSmallOrg();
});
afterEach(() => {
  sim.traffic.clearFaults();
  sim.traffic.setThrottling({ enabled: false });
});
afterAll(async () => {
  await sim.stop();
});

describe('throttling', () => {
  it('answers injected ThrottlingExceptions that the SDK retries until the call succeeds', async () => {
    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    sim.ledger.reset();
    sim.traffic.inject({ service: 'kms', operation: 'DescribeKey', times: 2, error: { code: 'ThrottlingException', message: 'Rate exceeded' } });
    const kms = new KMSClient(sim.clientConfig()); // SDK defaults: standard retry, 3 attempts
    const out = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(out.KeyMetadata?.KeyId).toBe(keyId);
    expect(out.$metadata.attempts).toBe(3);
    expect(out.$metadata.totalRetryDelay).toBeGreaterThan(0);
    expect(sim.ledger.filter({ service: 'kms', operation: 'DescribeKey' }).map((e) => [e.status, e.errorCode])).toEqual([
      [400, 'ThrottlingException'],
      [400, 'ThrottlingException'],
      [200, undefined],
    ]);
    kms.destroy();
  });

  it("throttles per account and region with token buckets, in each service's own error", async () => {
    sim.traffic.setThrottling({ enabled: true, limits: { organizations: { rate: 0.001, burst: 2 }, sns: { rate: 0.001, burst: 1 } } });
    const admin = new OrganizationsClient({ ...sim.clientConfig(), maxAttempts: 1 });
    await admin.send(new DescribeOrganizationCommand({}));
    await admin.send(new DescribeOrganizationCommand({}));
    const throttled = await admin.send(new DescribeOrganizationCommand({})).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TooManyRequestsException);
    // Another account, or the same account in another region, has its own bucket.
    const dev = new OrganizationsClient({ ...sim.clientConfig(), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    await expect(dev.send(new DescribeOrganizationCommand({}))).resolves.toBeDefined();
    const adminWest = new OrganizationsClient({ ...sim.clientConfig('us-west-2'), maxAttempts: 1 });
    await expect(adminWest.send(new DescribeOrganizationCommand({}))).resolves.toBeDefined();

    const sns = new SNSClient({ ...sim.clientConfig(), maxAttempts: 1 });
    await sns.send(new ListTopicsCommand({}));
    const snsThrottled = await sns.send(new ListTopicsCommand({})).catch((e: unknown) => e as ThrottledException);
    expect(snsThrottled).toBeInstanceOf(ThrottledException);
    expect(snsThrottled.$metadata.httpStatusCode).toBe(429);
    expect(sim.traffic.throttledCount).toBeGreaterThanOrEqual(2);
    for (const client of [admin, dev, adminWest, sns]) client.destroy();
  });

  it('lets an adaptive-retry client complete a burst against AWS-like limits', async () => {
    const client = new OrganizationsClient({ ...sim.clientConfig(), retryMode: 'adaptive', maxAttempts: 10 });
    // The SDK's adaptive rate limiter sizes its own rate on the rate it measured before the first throttle
    // (a cold client falls to 0.5 requests/s), so let it measure normal traffic first, as a scan would.
    const warmUntil = performance.now() + 600;
    while (performance.now() < warmUntil) await client.send(new DescribeOrganizationCommand({}));
    sim.ledger.reset();
    const before = sim.traffic.throttledCount;
    sim.traffic.setThrottling({ enabled: true, limits: { organizations: { rate: 50, burst: 5 } } });
    const results = await Promise.all(Array.from({ length: 12 }, () => client.send(new DescribeOrganizationCommand({}))));
    expect(results.every((r) => r.Organization?.Id === sim.world.organizationId)).toBe(true);
    const throttled = sim.traffic.throttledCount - before;
    expect(throttled).toBeGreaterThan(0);
    expect(sim.ledger.count({ service: 'organizations', errors: true })).toBe(throttled);
    expect(sim.ledger.count({ service: 'organizations', errors: false })).toBe(12);
    client.destroy();
  });

  it('answers throttling in a form the SDK retries, for every service of this module', async () => {
    const limit = { rate: 4, burst: 1 };
    sim.ledger.reset();
    sim.traffic.setThrottling({ enabled: true, limits: { organizations: limit, sts: limit, sns: limit, kms: limit, ec2: limit } });
    const config = { ...sim.clientConfig(), maxAttempts: 8 };
    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    const organizations = new OrganizationsClient(config);
    const sts = new STSClient(config);
    const sns = new SNSClient(config);
    const kms = new KMSClient(config);
    const ec2 = new EC2Client(config);
    const calls: Array<() => Promise<{ $metadata: { attempts?: number } }>> = [
      () => organizations.send(new DescribeOrganizationCommand({})),
      () => sts.send(new GetCallerIdentityCommand({})),
      () => sns.send(new ListTopicsCommand({})),
      () => kms.send(new DescribeKeyCommand({ KeyId: keyId })),
      () => ec2.send(new DescribeRegionsCommand({})),
    ];
    // Back-to-back calls per service: the second finds the bucket empty and comes back through the SDK's retry.
    const outcomes = await Promise.all(calls.map(async (call) => [await call(), await call()]));
    for (const [first, second] of outcomes) {
      expect(first!.$metadata.attempts).toBe(1);
      expect(second!.$metadata.attempts).toBeGreaterThan(1);
    }
    for (const client of [organizations, sts, sns, kms, ec2]) client.destroy();
    expect(new Set(sim.ledger.filter({ errors: true }).map((e) => e.errorCode))).toEqual(
      new Set(['TooManyRequestsException', 'Throttling', 'Throttled', 'ThrottlingException', 'RequestLimitExceeded']),
    );
  });
});

describe('faults and latency', () => {
  it('injects a 5xx the SDK retries, and a persistent one it gives up on', async () => {
    const sts = new STSClient(sim.clientConfig());
    sim.traffic.inject({ service: 'sts', operation: 'GetCallerIdentity', times: 1, error: { code: 'InternalFailure', message: 'injected', status: 500 } });
    const ok = await sts.send(new GetCallerIdentityCommand({}));
    expect(ok.$metadata.attempts).toBe(2);

    sim.traffic.inject({ service: 'sts', operation: 'GetCallerIdentity', error: { code: 'ServiceUnavailable', message: 'injected outage', status: 503 } });
    const failed = await new STSClient({ ...sim.clientConfig(), maxAttempts: 2 })
      .send(new GetCallerIdentityCommand({}))
      .catch((e: unknown) => e as { name: string; $fault: string; $metadata: { httpStatusCode: number; attempts: number } });
    expect(failed).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503, attempts: 2 } });
    sts.destroy();
  });

  it('denies AssumeRole for a chosen account only, and runs hooks at a chosen moment', async () => {
    const sts = new STSClient({ ...sim.clientConfig(), maxAttempts: 1 });
    const assume = (accountId: string) => sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${accountId}:role/${ROLE}`, RoleSessionName: 'faults' }));
    const id = sim.traffic.inject({
      service: 'sts',
      operation: 'AssumeRole',
      when: (ctx) => ctx.caller.accountId === MGMT,
      times: 1,
      error: { code: 'AccessDenied', message: 'injected denial', status: 403 },
    });
    await expect(assume(DEV)).rejects.toMatchObject({ name: 'AccessDenied', message: 'injected denial', $metadata: { httpStatusCode: 403 } });
    await expect(assume(DEV)).resolves.toBeDefined();
    sim.traffic.remove(id);

    // A hook changes the world just before the call is served: the role disappears, AssumeRole is refused.
    sim.traffic.inject({ service: 'sts', operation: 'AssumeRole', times: 1, before: (ctx) => void ctx.world.accounts.get(DEV)!.roles.delete(ROLE) });
    await expect(assume(DEV)).rejects.toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('not authorized to perform: sts:AssumeRole') });
    sim.world.accounts.get(DEV)!.roles.set(ROLE, { name: ROLE });
    sts.destroy();
  });

  it('adds per-call and per-fault latency', async () => {
    sim.traffic.latencyMs = 40;
    sim.traffic.inject({ service: 'sts', delayMs: 60, times: 1 });
    const sts = new STSClient(sim.clientConfig());
    const started = performance.now();
    await sts.send(new GetCallerIdentityCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    sim.traffic.latencyMs = 0;
    sts.destroy();
  });
});

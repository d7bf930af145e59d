import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { ApiCallCounter } from '../../src/core/api-calls.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { startScenarioSimulator, type Simulator } from '../../local/sim/index.ts';

/** The client factory is the one place retries and call counting are configured for the whole product. */
describe('ClientFactory', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startScenarioSimulator({ scenario: 'demo' });
  });
  afterAll(() => sim.stop());

  const factory = (options: { maxAttempts?: number; counter?: ApiCallCounter } = {}) =>
    new ClientFactory({ hubRegion: 'us-east-1', sessionName: 'test', endpoint: sim.url, credentials: async () => sim.clientConfig().credentials, ...options });
  const throttleTwice = () =>
    sim.traffic.inject({ service: 'sns', operation: 'ListTopics', times: 2, error: { code: 'Throttling', message: 'Rate exceeded' } });

  it('retries throttling with the configured number of attempts', async () => {
    const fault = throttleTwice();
    const result = await factory({ maxAttempts: 5 }).hub(SNSClient).send(new ListTopicsCommand({}));
    sim.traffic.remove(fault);
    expect(result.$metadata.attempts).toBe(3);
  });

  it('honours maxAttempts 1 (no retry) exactly', async () => {
    const fault = throttleTwice();
    await expect(factory({ maxAttempts: 1 }).hub(SNSClient).send(new ListTopicsCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
      $metadata: { attempts: 1 },
    });
    sim.traffic.remove(fault);
  });

  it('counts logical calls and HTTP attempts separately', async () => {
    const counter = new ApiCallCounter();
    const fault = throttleTwice();
    await factory({ counter }).hub(SNSClient).send(new ListTopicsCommand({}));
    sim.traffic.remove(fault);
    expect(counter.stats()).toMatchObject({ total: 1, attempts: 3, byOperation: { 'SNS:ListTopics': 1 } });
  });

  it('builds one client per class, account, region and role', () => {
    const f = factory();
    const target = { accountId: '345678901234', region: 'eu-west-1', roleName: 'ZombieSweepMemberRole' };
    expect(f.target(SNSClient, target)).toBe(f.target(SNSClient, target));
    expect(f.target(SNSClient, target)).not.toBe(f.target(SNSClient, { ...target, region: 'us-east-1' }));
    expect(f.hub(SNSClient)).not.toBe(f.target(SNSClient, target));
  });

  it('tells a target that cannot be reached from a transient STS failure that must be retried', async () => {
    const target = { accountId: '345678901234', region: 'us-east-1', roleName: 'ZombieSweepMemberRole' };
    const fault = sim.traffic.inject({ service: 'sts', operation: 'AssumeRole', error: { code: 'ServiceUnavailable', message: 'try later', status: 503 } });
    await expect(factory({ maxAttempts: 1 }).verifyReachable(target)).rejects.toMatchObject({ name: 'RetryableAwsError' });
    sim.traffic.remove(fault);
    await expect(factory().verifyReachable({ ...target, roleName: 'NoSuchRole' })).rejects.toMatchObject({ name: 'TargetUnreachableError' });
    await expect(factory().verifyReachable(target)).resolves.toBeUndefined();
  });

  it("without a role name, reaches only the credentials' own account", async () => {
    const own = sim.world.managementAccountId;
    await expect(factory().verifyReachable({ accountId: own, region: 'us-east-1' })).resolves.toBeUndefined();
    await expect(factory().verifyReachable({ accountId: '345678901234', region: 'us-east-1' })).rejects.toMatchObject({
      name: 'TargetUnreachableError',
      message: expect.stringContaining(own),
    });
  });

  it("assumes the capability's own role, with the delete step's sweep id as session tag, and keeps sessions of different sweeps apart", async () => {
    const f = factory();
    const base = { accountId: '345678901234', region: 'us-east-1', roleName: 'ZombieSweepMemberRole' };
    const first = { ...base, capability: 'delete' as const, sessionTags: { 'zombie-sweep-id': 'sweep-a' } };
    const second = { ...first, sessionTags: { 'zombie-sweep-id': 'sweep-b' } };
    const issued = async (target: typeof first) => sim.world.credentials.get((await f.assume(target)).accessKeyId)!;
    expect(await issued(first)).toMatchObject({ roleName: 'ZombieSweepMemberRole-Delete', sessionTags: { 'zombie-sweep-id': 'sweep-a' } });
    expect(await issued(second)).toMatchObject({ sessionTags: { 'zombie-sweep-id': 'sweep-b' } });
    expect(f.target(SNSClient, first)).not.toBe(f.target(SNSClient, second));
    expect(f.roleArn({ ...base, capability: 'tag' })).toBe('arn:aws:iam::345678901234:role/ZombieSweepMemberRole-Tag');
    // The delete role's trust policy requires the sweep id: without it there is no delete session.
    await expect(f.verifyReachable({ ...base, capability: 'delete' })).rejects.toMatchObject({ name: 'TargetUnreachableError' });
  });
});

describe('ClientFactory service endpoints', () => {
  it('sends one service elsewhere by configuration and every other service to the common endpoint', async () => {
    const factory = new ClientFactory({
      hubRegion: 'us-east-1',
      sessionName: 'test',
      endpoint: 'http://127.0.0.1:4001',
      serviceEndpoints: { SFN: 'http://127.0.0.1:4002' },
    });
    const { SFNClient } = await import('@aws-sdk/client-sfn');
    const hostOf = async (client: { config: { endpoint?: () => Promise<{ port?: number }> } }) => (await client.config.endpoint!()).port;
    expect(await hostOf(factory.hub(SFNClient) as never)).toBe(4002);
    expect(await hostOf(factory.hub(SNSClient) as never)).toBe(4001);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssumeRoleCommand, ExpiredTokenException, GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Simulator } from '../../local/sim/server.ts';
import { DEV, MGMT, NO_ROLE, PROD, PROD_EXTERNAL_ID, ROLE, SUSPENDED, assumeInto, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;
let sts: STSClient;
// A clock the tests move, so credential expiry is tested without waiting.
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  sim = await startSmallOrg({ now });
  sts = new STSClient({ ...sim.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  sts.destroy();
  await sim.stop();
});

const roleArn = (accountId: string, role = ROLE) => `arn:aws:iam::${accountId}:role/${role}`;
const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> & { RoleArn: string }, client = sts) =>
  client.send(new AssumeRoleCommand({ RoleSessionName: 'zombie-sweep', ...input }));
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('expected an error'),
    (e: unknown) => e as STSServiceException,
  );

describe('GetCallerIdentity', () => {
  it('names the management account administrator for credentials the simulator did not issue', async () => {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    expect(id).toMatchObject({ Account: MGMT, Arn: `arn:aws:iam::${MGMT}:user/sim-admin`, UserId: expect.stringMatching(/^AIDA[A-Z2-7]{17}$/) });
  });
});

describe('AssumeRole', () => {
  it('issues credentials that act in the target account as the assumed role', async () => {
    const out = await assume({ RoleArn: roleArn(DEV) });
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(c.SecretAccessKey).toBeTruthy();
    expect(c.SessionToken).toBeTruthy();
    // Default DurationSeconds is 3600.
    expect(Math.abs(c.Expiration!.getTime() - (now().getTime() + 3_600_000))).toBeLessThan(5000);
    expect(out.AssumedRoleUser).toEqual({
      AssumedRoleId: expect.stringMatching(/^AROA[A-Z2-7]{17}:zombie-sweep$/),
      Arn: `arn:aws:sts::${DEV}:assumed-role/${ROLE}/zombie-sweep`,
    });

    const asDev = new STSClient({
      ...sim.clientConfig(),
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
    });
    const id = await asDev.send(new GetCallerIdentityCommand({}));
    expect(id).toEqual(expect.objectContaining({ Account: DEV, Arn: out.AssumedRoleUser!.Arn, UserId: out.AssumedRoleUser!.AssumedRoleId }));
    asDev.destroy();
  });

  it('denies roles that do not exist, suspended and unknown accounts, with the AWS message', async () => {
    for (const arn of [roleArn(NO_ROLE), roleArn(SUSPENDED), roleArn('999999999999'), roleArn(DEV, 'SomeOtherRole')]) {
      const error = await rejection(assume({ RoleArn: arn }));
      expect(error).toBeInstanceOf(STSServiceException);
      expect(error.name).toBe('AccessDenied');
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.message).toBe(`User: arn:aws:iam::${MGMT}:user/sim-admin is not authorized to perform: sts:AssumeRole on resource: ${arn}`);
    }
  });

  it('checks the ExternalId when the role has one', async () => {
    expect((await rejection(assume({ RoleArn: roleArn(PROD) }))).name).toBe('AccessDenied');
    expect((await rejection(assume({ RoleArn: roleArn(PROD), ExternalId: 'wrong-external-id' }))).name).toBe('AccessDenied');
    const ok = await assume({ RoleArn: roleArn(PROD), ExternalId: PROD_EXTERNAL_ID });
    expect(ok.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PROD}:assumed-role/${ROLE}/zombie-sweep`);
  });

  it('enforces DurationSeconds bounds, the role MaxSessionDuration and the role-chaining hour', async () => {
    const tooShort = await rejection(assume({ RoleArn: roleArn(DEV), DurationSeconds: 899 }));
    expect(tooShort).toMatchObject({ name: 'ValidationError', message: expect.stringContaining("'durationSeconds'") });
    const overRoleMax = await rejection(assume({ RoleArn: roleArn(DEV), DurationSeconds: 7200 }));
    expect(overRoleMax.message).toContain('MaxSessionDuration');

    sim.world.accounts.get(DEV)!.roles.get(ROLE)!.maxSessionDuration = 43_200;
    const long = await assume({ RoleArn: roleArn(DEV), DurationSeconds: 7200 });
    expect(long.Credentials?.Expiration!.getTime()).toBeGreaterThan(now().getTime() + 7_100_000);

    const chained = new STSClient({ ...sim.clientConfig(), credentials: await assumeInto(sim, MGMT), maxAttempts: 1 });
    expect((await rejection(assume({ RoleArn: roleArn(DEV), DurationSeconds: 7200 }, chained))).message).toContain('role chaining');
    expect((await assume({ RoleArn: roleArn(DEV), DurationSeconds: 3600 }, chained)).AssumedRoleUser?.Arn).toContain(DEV);
    chained.destroy();
  });

  it('validates the role ARN and the session name', async () => {
    expect((await rejection(assume({ RoleArn: 'arn:aws:iam::12345:role/x-too-short-account' }))).name).toBe('ValidationError');
    const badSession = await rejection(assume({ RoleArn: roleArn(DEV), RoleSessionName: 'has spaces' }));
    expect(badSession).toMatchObject({ name: 'ValidationError', message: expect.stringContaining('roleSessionName') });
    expect((await rejection(assume({ RoleArn: roleArn(DEV), RoleSessionName: 'x' }))).message).toContain('length greater than or equal to 2');
  });

  it('rejects calls signed with issued credentials once they expire (ExpiredTokenException), in every service', async () => {
    const creds = await assumeInto(sim, DEV, { durationSeconds: 900 });
    const asDev = new STSClient({ ...sim.clientConfig(), credentials: creds, maxAttempts: 1 });
    const sns = new SNSClient({ ...sim.clientConfig(), credentials: creds, maxAttempts: 1 });
    expect((await asDev.send(new GetCallerIdentityCommand({}))).Account).toBe(DEV);
    offsetMs += 901_000;
    try {
      await expect(asDev.send(new GetCallerIdentityCommand({}))).rejects.toBeInstanceOf(ExpiredTokenException);
      await expect(sns.send(new ListTopicsCommand({}))).rejects.toMatchObject({ name: 'ExpiredTokenException' });
    } finally {
      offsetMs -= 901_000;
      asDev.destroy();
      sns.destroy();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  ListEndpointsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { Simulator } from '../../local/sim/server.ts';
import { snsStore } from '../../local/sim/services/sns.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { DEV, MGMT, PROD, PROD_EXTERNAL_ID, assumeInto, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;

beforeAll(async () => {
  sim = await startSmallOrg();
});
afterAll(async () => {
  await sim.stop();
});

describe('account and region scoping', () => {
  it('puts what assumed credentials create into the assumed account, and only in the signing region', async () => {
    const devCreds = await assumeInto(sim, DEV);
    const devEast = new SNSClient({ ...sim.clientConfig('us-east-1'), credentials: devCreds });
    const devWest = new SNSClient({ ...sim.clientConfig('eu-west-1'), credentials: devCreds });
    const adminEast = new SNSClient(sim.clientConfig('us-east-1'));

    const created = await devEast.send(new CreateTopicCommand({ Name: 'team-alerts' }));
    expect(created.TopicArn).toBe(`arn:aws:sns:us-east-1:${DEV}:team-alerts`);
    expect(
      snsStore(sim.world, DEV, 'us-east-1')
        .topics()
        .map((t) => t.name),
    ).toEqual(['team-alerts']);
    expect(snsStore(sim.world, MGMT, 'us-east-1').topics()).toEqual([]);
    expect((await adminEast.send(new ListTopicsCommand({}))).Topics).toEqual([]);
    expect((await devWest.send(new ListTopicsCommand({}))).Topics).toEqual([]);
    expect((await devEast.send(new ListTopicsCommand({}))).Topics).toEqual([{ TopicArn: created.TopicArn }]);

    const prodKms = new KMSClient({ ...sim.clientConfig('ap-southeast-3'), credentials: await assumeInto(sim, PROD, { externalId: PROD_EXTERNAL_ID }) });
    const key = await prodKms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    expect(key.KeyMetadata?.Arn).toMatch(new RegExp(`^arn:aws:kms:ap-southeast-3:${PROD}:key/`));
    expect(kmsStore(sim.world, PROD, 'ap-southeast-3').keys()).toHaveLength(1);
    expect(kmsStore(sim.world, MGMT, 'ap-southeast-3').keys()).toHaveLength(0);

    for (const client of [devEast, devWest, adminEast, prodKms]) client.destroy();
  });

  it('keeps SageMaker resources in the account and region of the credentials that created them', async () => {
    const devCreds = await assumeInto(sim, DEV);
    const dev = new SageMakerClient({ ...sim.clientConfig('eu-west-1'), credentials: devCreds, maxAttempts: 1 });
    const devEast = new SageMakerClient({ ...sim.clientConfig('us-east-1'), credentials: devCreds, maxAttempts: 1 });
    const admin = new SageMakerClient({ ...sim.clientConfig('eu-west-1'), maxAttempts: 1 });
    await dev.send(
      new CreateModelCommand({
        ModelName: 'scoped-model',
        ExecutionRoleArn: `arn:aws:iam::${DEV}:role/SageMakerExecution`,
        PrimaryContainer: { Image: '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1-cpu-py310' },
      }),
    );
    await dev.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'scoped-config',
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'scoped-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
      }),
    );
    const { EndpointArn } = await dev.send(new CreateEndpointCommand({ EndpointName: 'scoped-endpoint', EndpointConfigName: 'scoped-config' }));
    expect(EndpointArn).toBe(`arn:aws:sagemaker:eu-west-1:${DEV}:endpoint/scoped-endpoint`);

    expect((await dev.send(new ListEndpointsCommand({}))).Endpoints?.map((e) => e.EndpointName)).toEqual(['scoped-endpoint']);
    expect((await devEast.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    expect((await admin.send(new ListEndpointsCommand({}))).Endpoints).toEqual([]);
    await expect(admin.send(new DescribeEndpointCommand({ EndpointName: 'scoped-endpoint' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Could not find endpoint'),
    });
    expect(sim.ledger.filter({ service: 'sagemaker', operation: 'CreateEndpoint' }).map((e) => [e.accountId, e.region])).toEqual([[DEV, 'eu-west-1']]);
    for (const client of [dev, devEast, admin]) client.destroy();
  });

  it('records each call in the ledger under the account and region that made it', async () => {
    sim.ledger.reset();
    const devCreds = await assumeInto(sim, DEV);
    const devSts = new STSClient({ ...sim.clientConfig('eu-west-1'), credentials: devCreds });
    const devOrg = new OrganizationsClient({ ...sim.clientConfig(), credentials: devCreds });
    const adminOrg = new OrganizationsClient(sim.clientConfig());
    await devSts.send(new GetCallerIdentityCommand({}));
    await devSts.send(new GetCallerIdentityCommand({}));
    await devOrg.send(new DescribeOrganizationCommand({}));
    await adminOrg.send(new DescribeOrganizationCommand({}));

    expect(sim.ledger.byOperation()).toEqual({ 'sts:AssumeRole': 1, 'sts:GetCallerIdentity': 2, 'organizations:DescribeOrganization': 2 });
    expect(sim.ledger.count({ accountId: DEV })).toBe(3);
    expect(sim.ledger.count({ accountId: DEV, region: 'eu-west-1' })).toBe(2);
    // AssumeRole is made by the caller (the management account), not the target.
    expect(sim.ledger.filter({ operation: 'AssumeRole' }).map((e) => e.accountId)).toEqual([MGMT]);
    expect(sim.ledger.count({ errors: true })).toBe(0);
    expect(sim.ledger.entries.every((e) => e.status === 200 && e.at > 0)).toBe(true);

    // The same counts are served to scripts and benchmarks at /_sim/ledger.json.
    const served = (await (await fetch(`${sim.url}/_sim/ledger.json`)).json()) as { total: number; byOperation: Record<string, number> };
    expect(served).toMatchObject({ total: 5, byOperation: { 'sts:GetCallerIdentity': 2 } });
    for (const client of [devSts, devOrg, adminOrg]) client.destroy();
  });
});

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretsManagerStore } from '../../local/sim/index.ts';
import type { Simulator } from '../../local/sim/server.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { InputValidationError, TargetUnreachableError } from '../../src/core/errors.ts';
import { secretExternalId } from '../../src/core/external-id.ts';
import { MGMT, PROD, PROD_EXTERNAL_ID, ROLE, startSmallOrg } from '../sim/core-fixtures.ts';

/**
 * Scheduled sweeps carry no external id: the hub functions read it from the hub's secret and present
 * it when they assume a member role. PROD's member role requires one.
 */
const REGION = 'us-east-1';
let sim: Simulator;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  sim = await startSmallOrg();
  secrets = new SecretsManagerClient(sim.clientConfig(REGION));
});
afterAll(async () => {
  secrets?.destroy();
  await sim?.stop();
});

const factoryWith = (read: () => Promise<string>) =>
  new ClientFactory({
    hubRegion: REGION,
    sessionName: 'external-id-test',
    endpoint: sim.url,
    credentials: async () => sim.clientConfig().credentials,
    defaultExternalId: read,
  });

describe('external id from the hub secret', () => {
  it('reaches a member role that requires it when the target names none, reading the secret once', async () => {
    const arn = secretsManagerStore(sim.world, MGMT, REGION).put('zombie-sweep/external-id', PROD_EXTERNAL_ID.padEnd(20, '0'));
    // The role in PROD was set up with the short id; make it expect what the secret holds.
    sim.world.accounts.get(PROD)!.roles.set(ROLE, { name: ROLE, externalId: PROD_EXTERNAL_ID.padEnd(20, '0') });
    const before = sim.ledger.count({ service: 'secretsmanager' });
    const factory = factoryWith(secretExternalId(secrets, arn));
    const sts = factory.target(STSClient, { accountId: PROD, region: REGION, roleName: ROLE });
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(PROD);
    await factory.verifyReachable({ accountId: PROD, region: 'ap-southeast-3', roleName: ROLE });
    expect(sim.ledger.count({ service: 'secretsmanager' }) - before).toBe(1);
  });

  it('still lets an explicit external id in the sweep input win', async () => {
    const factory = factoryWith(async () => 'the-wrong-secret-value-000');
    await expect(
      factory.verifyReachable({ accountId: PROD, region: REGION, roleName: ROLE, externalId: PROD_EXTERNAL_ID.padEnd(20, '0') }),
    ).resolves.toBeUndefined();
    await expect(factory.verifyReachable({ accountId: PROD, region: REGION, roleName: ROLE })).rejects.toBeInstanceOf(TargetUnreachableError);
  });

  it('fails the step, not the target, when the secret is missing or not a usable external id', async () => {
    const missing = factoryWith(secretExternalId(secrets, 'zombie-sweep/no-such-secret'));
    await expect(missing.verifyReachable({ accountId: PROD, region: REGION, roleName: ROLE })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const shortArn = secretsManagerStore(sim.world, MGMT, REGION).put('zombie-sweep/short', 'short');
    const short = factoryWith(secretExternalId(secrets, shortArn));
    await expect(short.verifyReachable({ accountId: PROD, region: REGION, roleName: ROLE })).rejects.toBeInstanceOf(InputValidationError);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisabledException,
  GenerateMacCommand,
  InvalidKeyUsageException,
  KMSClient,
  KMSInvalidMacException,
  NotFoundException,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import type { Simulator } from '../../local/sim/server.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { DEV, MGMT, assumeInto, startSmallOrg } from './core-fixtures.ts';

let sim: Simulator;
let kms: KMSClient;
const message = new TextEncoder().encode('sweep=s-1|approver=alice@example.com|expires=2030-01-01T00:00:00Z');

beforeAll(async () => {
  sim = await startSmallOrg();
  kms = new KMSClient({ ...sim.clientConfig(), maxAttempts: 1 });
});
afterAll(async () => {
  kms.destroy();
  await sim.stop();
});

describe('KMS HMAC keys', () => {
  it('creates an HMAC_256 key whose metadata names its MAC algorithm, never its material', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'approval links' }));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: MGMT,
      KeySpec: 'HMAC_256',
      KeyUsage: 'GENERATE_VERIFY_MAC',
      KeyState: 'Enabled',
      Enabled: true,
      MacAlgorithms: ['HMAC_SHA_256'],
      Description: 'approval links',
      Arn: `arn:aws:kms:us-east-1:${MGMT}:key/${KeyMetadata!.KeyId}`,
    });
    expect(KeyMetadata!.CreationDate).toBeInstanceOf(Date);
    const described = await kms.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.Arn }));
    expect(described.KeyMetadata?.KeyId).toBe(KeyMetadata!.KeyId);
    const material = kmsStore(sim.world, MGMT, 'us-east-1').key(KeyMetadata!.KeyId!)!.material.toString('base64');
    expect(JSON.stringify(described)).not.toContain(material);
  });

  it('generates a MAC that VerifyMac accepts, and rejects a tampered message with KMSInvalidMacException', async () => {
    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    const generated = await kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    expect(generated.Mac).toHaveLength(32);
    expect(generated.KeyId).toBe(`arn:aws:kms:us-east-1:${MGMT}:key/${keyId}`);
    const again = await kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    expect(Buffer.from(again.Mac!).equals(Buffer.from(generated.Mac!))).toBe(true);

    const verified = await kms.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: generated.Mac, MacAlgorithm: 'HMAC_SHA_256' }));
    expect(verified).toMatchObject({ MacValid: true, MacAlgorithm: 'HMAC_SHA_256', KeyId: generated.KeyId });

    const tampered = new TextEncoder().encode('sweep=s-1|approver=mallory@example.com|expires=2030-01-01T00:00:00Z');
    await expect(kms.send(new VerifyMacCommand({ KeyId: keyId, Message: tampered, Mac: generated.Mac, MacAlgorithm: 'HMAC_SHA_256' }))).rejects.toBeInstanceOf(
      KMSInvalidMacException,
    );
    const otherKey = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    await expect(
      kms.send(new VerifyMacCommand({ KeyId: otherKey, Message: message, Mac: generated.Mac, MacAlgorithm: 'HMAC_SHA_256' })),
    ).rejects.toBeInstanceOf(KMSInvalidMacException);
  });

  it('resolves aliases by name and by ARN', async () => {
    kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey({ alias: 'alias/zombie-sweep-approvals' });
    const viaAlias = await kms.send(new GenerateMacCommand({ KeyId: 'alias/zombie-sweep-approvals', Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
    const viaAliasArn = await kms.send(
      new VerifyMacCommand({
        KeyId: `arn:aws:kms:us-east-1:${MGMT}:alias/zombie-sweep-approvals`,
        Message: message,
        Mac: viaAlias.Mac,
        MacAlgorithm: 'HMAC_SHA_256',
      }),
    );
    expect(viaAliasArn.MacValid).toBe(true);
    await expect(kms.send(new GenerateMacCommand({ KeyId: 'alias/none', Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });

  it('refuses the wrong key usage, algorithm or state with the documented exceptions', async () => {
    const symmetric = await kms.send(new CreateKeyCommand({}));
    expect(symmetric.KeyMetadata).toMatchObject({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'] });
    await expect(
      kms.send(new GenerateMacCommand({ KeyId: symmetric.KeyMetadata!.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' })),
    ).rejects.toBeInstanceOf(InvalidKeyUsageException);

    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    await expect(kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_512' }))).rejects.toBeInstanceOf(
      InvalidKeyUsageException,
    );
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await expect(kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }))).rejects.toBeInstanceOf(DisabledException);

    await expect(kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'ENCRYPT_DECRYPT' }))).rejects.toMatchObject({ name: 'ValidationException' });
    const enabled = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    await expect(kms.send(new GenerateMacCommand({ KeyId: enabled, Message: new Uint8Array(4097), MacAlgorithm: 'HMAC_SHA_256' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(kms.send(new DescribeKeyCommand({ KeyId: '00000000-0000-0000-0000-000000000000' }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('keeps keys in their account and region', async () => {
    const keyId = kmsStore(sim.world, MGMT, 'us-east-1').createHmacKey();
    const dev = new KMSClient({ ...sim.clientConfig(), credentials: await assumeInto(sim, DEV), maxAttempts: 1 });
    await expect(dev.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(NotFoundException);
    const created = await dev.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }));
    expect(created.KeyMetadata?.AWSAccountId).toBe(DEV);
    expect(kmsStore(sim.world, DEV, 'us-east-1').key(created.KeyMetadata!.KeyId!)).toBeDefined();
    const otherRegion = new KMSClient({ ...sim.clientConfig('us-west-2'), maxAttempts: 1 });
    await expect(otherRegion.send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toBeInstanceOf(NotFoundException);
    dev.destroy();
    otherRegion.destroy();
  });
});

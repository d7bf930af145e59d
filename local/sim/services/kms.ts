import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { SimError, jsonService, type CallContext, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';

/**
 * AWS KMS (JSON 1.1, X-Amz-Target `TrentService.*`): keys, aliases and HMAC (GenerateMac/VerifyMac), which
 * sign the approval links. Shapes follow the API reference (https://docs.aws.amazon.com/kms/latest/APIReference/).
 * Key material is random per key and never leaves the store. Key policies and grants are not modelled.
 */

type MacAlgorithm = 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512';
type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

/** HMAC key specs, their key length and the one MAC algorithm each supports (KeySpec in CreateKey). */
const HMAC_SPECS: Record<string, { bytes: number; algorithm: MacAlgorithm; digest: string }> = {
  HMAC_224: { bytes: 28, algorithm: 'HMAC_SHA_224', digest: 'sha224' },
  HMAC_256: { bytes: 32, algorithm: 'HMAC_SHA_256', digest: 'sha256' },
  HMAC_384: { bytes: 48, algorithm: 'HMAC_SHA_384', digest: 'sha384' },
  HMAC_512: { bytes: 64, algorithm: 'HMAC_SHA_512', digest: 'sha512' },
};

export interface SimKmsKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  keySpec: string;
  keyUsage: 'ENCRYPT_DECRYPT' | 'GENERATE_VERIFY_MAC';
  description: string;
  state: KeyState;
  createdAt: Date;
  deletionDate?: Date;
  /** Never returned by any API. */
  material: Buffer;
}

interface KmsState {
  keys: Map<string, SimKmsKey>;
  /** alias name (`alias/...`) → key id */
  aliases: Map<string, string>;
}

const stateOf = (world: World, accountId: string, region: string) =>
  world.regional<KmsState>('kms', accountId, region, () => ({ keys: new Map(), aliases: new Map() }));

/** Direct access for tests and scenarios: create keys without an API call. */
export function kmsStore(world: World, accountId: string, region: string) {
  const state = stateOf(world, accountId, region);
  return {
    /** A new HMAC_256 / GENERATE_VERIFY_MAC key; returns its key id. */
    createHmacKey(options: { description?: string; alias?: string } = {}): string {
      const key = createKey(world, accountId, region, 'HMAC_256', 'GENERATE_VERIFY_MAC', options.description ?? '');
      if (options.alias) state.aliases.set(options.alias, key.keyId);
      return key.keyId;
    },
    key(keyId: string): SimKmsKey | undefined {
      return state.keys.get(keyId);
    },
    keys(): SimKmsKey[] {
      return [...state.keys.values()];
    },
  };
}

function createKey(world: World, accountId: string, region: string, keySpec: string, keyUsage: SimKmsKey['keyUsage'], description: string): SimKmsKey {
  const keyId = randomUUID();
  const key: SimKmsKey = {
    keyId,
    arn: `arn:aws:kms:${region}:${accountId}:key/${keyId}`,
    accountId,
    region,
    keySpec,
    keyUsage,
    description,
    state: 'Enabled',
    createdAt: world.now(),
    material: randomBytes(HMAC_SPECS[keySpec]?.bytes ?? 32),
  };
  stateOf(world, accountId, region).keys.set(keyId, key);
  return key;
}

export function kmsService(): SimService {
  return jsonService({
    signingName: 'kms',
    targetPrefix: 'TrentService',
    version: '1.1',
    operations: {
      CreateKey: (input, ctx) => {
        const keySpec = optionalString(input, 'KeySpec') ?? optionalString(input, 'CustomerMasterKeySpec') ?? 'SYMMETRIC_DEFAULT';
        const isHmac = keySpec in HMAC_SPECS;
        if (!isHmac && keySpec !== 'SYMMETRIC_DEFAULT')
          throw new SimError('UnsupportedOperationException', `The simulator supports KeySpec SYMMETRIC_DEFAULT and HMAC_224/256/384/512, not ${keySpec}.`);
        const keyUsage = optionalString(input, 'KeyUsage') ?? (isHmac ? undefined : 'ENCRYPT_DECRYPT');
        if (isHmac && keyUsage !== 'GENERATE_VERIFY_MAC')
          throw new SimError('ValidationException', `KeyUsage must be GENERATE_VERIFY_MAC for KeySpec ${keySpec}.`);
        if (!isHmac && keyUsage !== 'ENCRYPT_DECRYPT') throw new SimError('ValidationException', `KeyUsage must be ENCRYPT_DECRYPT for KeySpec ${keySpec}.`);
        const key = createKey(
          ctx.world,
          ctx.caller.accountId,
          ctx.caller.region,
          keySpec,
          keyUsage as SimKmsKey['keyUsage'],
          optionalString(input, 'Description') ?? '',
        );
        return { KeyMetadata: metadata(key) };
      },
      DescribeKey: (input, ctx) => ({ KeyMetadata: metadata(resolveKey(ctx, requiredString(input, 'KeyId'))) }),
      GenerateMac: (input, ctx) => {
        const { key, algorithm, message } = macInput(input, ctx);
        return { Mac: mac(key, message).toString('base64'), MacAlgorithm: algorithm, KeyId: key.arn };
      },
      VerifyMac: (input, ctx) => {
        const { key, algorithm, message } = macInput(input, ctx);
        const presented = blob(input, 'Mac', 1, 6144);
        const expected = mac(key, message);
        // "If the HMAC is not verified, the VerifyMac operation fails with a KMSInvalidMacException" (VerifyMac reference).
        if (presented.length !== expected.length || !timingSafeEqual(presented, expected))
          throw new SimError('KMSInvalidMacException', 'The MAC does not match the message, key and MAC algorithm.');
        return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
      },
      DisableKey: (input, ctx) => setState(resolveKey(ctx, requiredString(input, 'KeyId')), 'Disabled'),
    },
  });
}

function metadata(key: SimKmsKey) {
  const hmac = HMAC_SPECS[key.keySpec];
  return {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: key.createdAt,
    Enabled: key.state === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    DeletionDate: key.deletionDate,
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    EncryptionAlgorithms: hmac ? undefined : ['SYMMETRIC_DEFAULT'],
    MacAlgorithms: hmac ? [hmac.algorithm] : undefined,
    MultiRegion: false,
  };
}

function macInput(input: Record<string, unknown>, ctx: CallContext): { key: SimKmsKey; algorithm: MacAlgorithm; message: Buffer } {
  const key = resolveKey(ctx, requiredString(input, 'KeyId'));
  const algorithm = requiredString(input, 'MacAlgorithm');
  if (!['HMAC_SHA_224', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512'].includes(algorithm)) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value '${algorithm}' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]`,
    );
  }
  const message = blob(input, 'Message', 1, 4096);
  usable(key);
  const spec = HMAC_SPECS[key.keySpec];
  if (key.keyUsage !== 'GENERATE_VERIFY_MAC' || !spec)
    throw new SimError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for ${ctx.operation}.`);
  if (spec.algorithm !== algorithm) throw new SimError('InvalidKeyUsageException', `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  return { key, algorithm, message };
}

function mac(key: SimKmsKey, message: Buffer): Buffer {
  return createHmac(HMAC_SPECS[key.keySpec]!.digest, key.material).update(message).digest();
}

function usable(key: SimKmsKey): void {
  if (key.state === 'Disabled') throw new SimError('DisabledException', `${key.arn} is disabled.`);
  if (key.state === 'PendingDeletion') throw new SimError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
}

function setState(key: SimKmsKey, state: KeyState): Record<string, never> {
  if (key.state === 'PendingDeletion') throw new SimError('KMSInvalidStateException', `${key.arn} is pending deletion.`);
  key.state = state;
  return {};
}

/** KeyId may be a key id, key ARN, alias name or alias ARN (KeyId parameter in the API reference). */
function resolveKey(ctx: CallContext, keyId: string): SimKmsKey {
  let accountId = ctx.caller.accountId;
  let region = ctx.caller.region;
  let ref = keyId;
  const arn = /^arn:aws:kms:([^:]+):(\d{12}):((?:key|alias)\/.+)$/.exec(keyId);
  if (arn) [, region, accountId, ref] = arn as unknown as [string, string, string, string];
  const state = stateOf(ctx.world, accountId, region);
  if (ref.startsWith('alias/')) {
    const target = state.aliases.get(ref);
    if (!target) throw new SimError('NotFoundException', `Alias arn:aws:kms:${region}:${accountId}:${ref} is not found.`);
    ref = `key/${target}`;
  }
  const id = ref.startsWith('key/') ? ref.slice(4) : ref;
  const key = state.keys.get(id);
  if (!key) throw new SimError('NotFoundException', `Key 'arn:aws:kms:${region}:${accountId}:key/${id}' does not exist`);
  return key;
}

function requiredString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value null at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string') throw new SimError('SerializationException', `Expected a string for ${field}`);
  return value;
}

function optionalString(input: Record<string, unknown>, field: string): string | undefined {
  return input[field] === undefined || input[field] === null ? undefined : requiredString(input, field);
}

/** JSON protocols send blobs base64-encoded. */
function blob(input: Record<string, unknown>, field: string, min: number, max: number): Buffer {
  const raw = requiredString(input, field);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) throw new SimError('SerializationException', `${field} is not valid base64`);
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw new SimError(
      'ValidationException',
      `1 validation error detected: Value at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must have length between ${min} and ${max}`,
    );
  }
  return bytes;
}

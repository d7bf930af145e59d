import { SimError, jsonService, type CallContext, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';

/**
 * AWS Secrets Manager (JSON 1.1, `secretsmanager.*`): DescribeSecret (doctor checks a configured
 * external id secret exists) and GetSecretValue (hub functions read the external id). Secrets are put in
 * place by tests through `secretsManagerStore`. A secret is found by name or by ARN, whose name is
 * followed by `-` and six random characters as in AWS
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html).
 */
interface SimSecret {
  name: string;
  arn: string;
  value: string;
}

function secrets(world: World, accountId: string, region: string): Map<string, SimSecret> {
  return world.regional('secretsmanager', accountId, region, () => new Map<string, SimSecret>());
}

export function secretsManagerStore(world: World, accountId: string, region: string) {
  const map = secrets(world, accountId, region);
  return {
    /** Stores a plain-string secret; returns its ARN. */
    put: (name: string, value: string): string => {
      const arn = `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${Math.random().toString(36).slice(2, 8).padEnd(6, 'x')}`;
      map.set(name, { name, arn, value });
      return arn;
    },
  };
}

function find(input: Record<string, unknown>, ctx: CallContext): SimSecret {
  const id = input.SecretId;
  if (typeof id !== 'string' || id.length === 0) throw new SimError('InvalidParameterException', 'SecretId is required');
  const map = secrets(ctx.world, ctx.caller.accountId, ctx.caller.region);
  const secret = map.get(id) ?? [...map.values()].find((s) => s.arn === id);
  if (!secret) throw new SimError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
  return secret;
}

export function secretsManagerService(): SimService {
  return jsonService({
    signingName: 'secretsmanager',
    targetPrefix: 'secretsmanager',
    version: '1.1',
    operations: {
      DescribeSecret: (input, ctx) => {
        const s = find(input, ctx);
        return { ARN: s.arn, Name: s.name };
      },
      GetSecretValue: (input, ctx) => {
        const s = find(input, ctx);
        return { ARN: s.arn, Name: s.name, SecretString: s.value, VersionId: 'v1', VersionStages: ['AWSCURRENT'] };
      },
    },
  });
}

import type { IncomingHttpHeaders } from 'node:http';
import type { Caller, World } from './world.ts';

export interface SigningScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

const SCOPE = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

/**
 * Reads the SigV4 credential scope from the Authorization header, or from X-Amz-Credential on a
 * presigned URL. The signature itself is not verified (documented in docs/simulator.md): the
 * simulator trusts the scope to learn who is calling, from where, and which service is meant.
 */
export function signingScope(headers: IncomingHttpHeaders, url: URL): SigningScope | undefined {
  const authorization = headers.authorization;
  const fromHeader = typeof authorization === 'string' ? SCOPE.exec(authorization) : null;
  if (fromHeader) {
    return { accessKeyId: fromHeader[1]!, date: fromHeader[2]!, region: fromHeader[3]!, service: fromHeader[4]! };
  }
  const credential = url.searchParams.get('X-Amz-Credential');
  if (credential) {
    const parts = credential.split('/');
    if (parts.length === 5) return { accessKeyId: parts[0]!, date: parts[1]!, region: parts[2]!, service: parts[3]! };
  }
  return undefined;
}

export class ExpiredTokenError extends Error {}

/**
 * Credentials issued by the simulator's AssumeRole identify the assumed account and role. Anything
 * else acts as the management account's administrator, so a user's default credentials just work.
 */
export function resolveCaller(world: World, scope: SigningScope): Caller {
  const issued = world.credentials.get(scope.accessKeyId);
  if (issued) {
    if (issued.expiresAt.getTime() < world.now().getTime()) throw new ExpiredTokenError('The security token included in the request is expired');
    return {
      accessKeyId: scope.accessKeyId,
      accountId: issued.accountId,
      principalArn: `arn:aws:sts::${issued.accountId}:assumed-role/${issued.roleName}/${issued.sessionName}`,
      region: scope.region,
      service: scope.service,
      assumedRole: { roleName: issued.roleName, sessionName: issued.sessionName },
    };
  }
  return {
    accessKeyId: scope.accessKeyId,
    accountId: world.managementAccountId,
    principalArn: `arn:aws:iam::${world.managementAccountId}:user/sim-admin`,
    region: scope.region,
    service: scope.service,
  };
}

import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, SourceData } from '@smithy/types';
import { errorMessage } from '../../src/core/errors.ts';

/**
 * iam:ListAccountAliases, for the real-account interlock: the account's alias is what an operator
 * recognises ("prod-ml"), not its 12-digit id. IAM's query API is called directly (one signed POST)
 * so the CLI needs no IAM client package for this one read.
 */

/** SHA-256 / HMAC-SHA-256 in the shape SignatureV4 takes (node:crypto underneath). */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export type AliasLookup = { alias: string | undefined } | { error: string };

/** The account's alias (an account has at most one), undefined when it has none, or why it could not be read. */
export async function listAccountAlias(credentials: AwsCredentialIdentityProvider, endpoint = 'https://iam.amazonaws.com/'): Promise<AliasLookup> {
  try {
    const url = new URL(endpoint);
    const body = 'Action=ListAccountAliases&Version=2010-05-08';
    const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'iam', sha256: Sha256 });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });
    const response = await fetch(url, { method: 'POST', headers: signed.headers, body, signal: AbortSignal.timeout(10_000) });
    const text = await response.text();
    if (!response.ok) return { error: `${response.status} ${/<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? response.statusText}` };
    return { alias: /<AccountAliases>\s*<member>([^<]+)<\/member>/.exec(text)?.[1] };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

/** How the interlock names the account: `123456789012 (alias "prod-ml")`, `(no alias)`, or why the alias is unknown. */
export function describeAccount(accountId: string, alias: AliasLookup): string {
  if ('error' in alias) return `${accountId} (alias unknown: iam:ListAccountAliases failed: ${alias.error})`;
  return alias.alias === undefined ? `${accountId} (no alias)` : `${accountId} (alias "${alias.alias}")`;
}

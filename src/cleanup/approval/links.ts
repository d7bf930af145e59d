import { GenerateMacCommand, VerifyMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import { retryableIfTransient } from '../../core/s3-json.ts';
import { z } from 'zod';
import { APPROVAL_GROUP_NAME, EmailSchema, SweepIdSchema } from '../../core/schemas.ts';
import { errorName } from '../../core/errors.ts';

/**
 * Signed approval links. A link authorizes one approver to decide one sweep until one instant:
 * HMAC-SHA-256 over (sweep id, approver, expiry), computed by KMS with an HMAC key that never leaves
 * KMS (GenerateMac / VerifyMac). docs/approvals.md explains why KMS rather than a generated secret.
 */

/** Computes and checks MACs. Production uses KMS; the interface keeps the link logic testable on its own. */
export interface MacSigner {
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** True when `mac` is the MAC of `message`; false when it is not (tampered or forged). */
  verify(message: Uint8Array, mac: Uint8Array): Promise<boolean>;
}

const REVOKED = new Set(['KMSInvalidMacException', 'DisabledException', 'KMSInvalidStateException']);

/**
 * KMS-backed signer. VerifyMac answers a wrong MAC with KMSInvalidMacException rather than
 * MacValid=false (https://docs.aws.amazon.com/kms/latest/APIReference/API_VerifyMac.html), so that
 * exception means "not valid"; any other error (throttling, key disabled) propagates as a failure
 * to verify, never as a valid link.
 */
export function kmsMacSigner(kms: KMSClient, keyId: string): MacSigner {
  return {
    async sign(message) {
      let out;
      try {
        out = await kms.send(new GenerateMacCommand({ KeyId: keyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
      } catch (error) {
        // Throttling that outlived the SDK's attempts: the state machine's Retry on RetryableAwsError waits longer.
        throw retryableIfTransient(error, `signing with KMS key ${keyId}`);
      }
      if (!out.Mac || out.Mac.length === 0) throw new Error('KMS GenerateMac returned no MAC');
      return out.Mac;
    },
    async verify(message, mac) {
      try {
        const out = await kms.send(new VerifyMacCommand({ KeyId: keyId, Message: message, Mac: mac, MacAlgorithm: 'HMAC_SHA_256' }));
        return out.MacValid === true;
      } catch (error) {
        // A disabled key (or one pending deletion) is how operators revoke every outstanding link at once.
        if (REVOKED.has(errorName(error))) return false;
        throw error;
      }
    },
  };
}

/** The signed fields of a link, as they appear in its query string and in the page's hidden form fields. */
export const LinkParamsSchema = z.object({
  approver: EmailSchema,
  /** Expiry, epoch seconds. */
  expires: z.coerce.number().int().positive(),
  /** base64url HMAC-SHA-256 (32 bytes = 43 characters). */
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 43-character base64url signature'),
  /** The approver group the link decides for; absent on a sweep without groups. Signed. */
  group: z.string().regex(APPROVAL_GROUP_NAME, 'must be an approver group name').optional(),
});
export type LinkParams = z.infer<typeof LinkParamsSchema>;

// A version prefix and a purpose string keep these MACs from ever being valid for any other message
// signed with the same key; newlines cannot occur inside the fields (sweep ids and emails exclude them).
const PURPOSE = 'zombie-sweep/approval-link/v1';

// A group link signs its group too, under its own version: a link of group A never verifies for group B,
// nor as a link of a sweep without groups.
const GROUP_PURPOSE = 'zombie-sweep/approval-link/v2';

export function linkMessage(sweepId: string, approver: string, expires: number, group?: string): Uint8Array {
  SweepIdSchema.parse(sweepId);
  if (/[\r\n]/.test(approver)) throw new Error('approver must not contain line breaks');
  if (group === undefined) return new TextEncoder().encode(`${PURPOSE}\n${sweepId}\n${approver}\n${expires}`);
  if (!APPROVAL_GROUP_NAME.test(group)) throw new Error('not an approver group name');
  return new TextEncoder().encode(`${GROUP_PURPOSE}\n${sweepId}\n${group}\n${approver}\n${expires}`);
}

export async function signLink(signer: MacSigner, sweepId: string, approver: string, expires: number, group?: string): Promise<LinkParams> {
  const mac = await signer.sign(linkMessage(sweepId, approver, expires, group));
  return { approver, expires, sig: Buffer.from(mac).toString('base64url'), ...(group !== undefined ? { group } : {}) };
}

export type LinkCheck = { ok: true } | { ok: false; why: 'expired' | 'invalid' };

/**
 * Checks expiry first (no KMS call for a stale link; an attacker gains nothing by claiming an
 * earlier expiry), then the MAC.
 */
export async function checkLink(signer: MacSigner, sweepId: string, params: LinkParams, now: Date): Promise<LinkCheck> {
  if (params.expires * 1000 <= now.getTime()) return { ok: false, why: 'expired' };
  const mac = Buffer.from(params.sig, 'base64url');
  if (mac.length !== 32) return { ok: false, why: 'invalid' };
  const valid = await signer.verify(linkMessage(sweepId, params.approver, params.expires, params.group), mac);
  return valid ? { ok: true } : { ok: false, why: 'invalid' };
}

/** `<base>/approvals/<sweepId>?approver=..&expires=..&sig=..`: the link an approver receives. */
export function approvalUrl(baseUrl: string, sweepId: string, params: LinkParams): string {
  const query = new URLSearchParams({
    approver: params.approver,
    expires: String(params.expires),
    sig: params.sig,
    ...(params.group !== undefined ? { group: params.group } : {}),
  });
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(sweepId)}?${query.toString()}`;
}

import { z } from 'zod';
import { EmailSchema, SweepIdSchema } from '../../core/schemas.ts';
import type { MacSigner } from '../approval/links.ts';

/**
 * Signed veto links: one owner, one sweep, until one instant. Signed with the approval-link key, under
 * a purpose of their own, so a veto link never verifies as an approval link (nor the reverse): an
 * owner can keep their endpoints, never approve anything.
 */

export const VetoLinkParamsSchema = z.object({
  owner: EmailSchema,
  /** Expiry, epoch seconds. */
  expires: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a 43-character base64url signature'),
});
export type VetoLinkParams = z.infer<typeof VetoLinkParamsSchema>;

const PURPOSE = 'zombie-sweep/veto-link/v1';

export function vetoLinkMessage(sweepId: string, owner: string, expires: number): Uint8Array {
  SweepIdSchema.parse(sweepId);
  if (/[\r\n]/.test(owner)) throw new Error('owner must not contain line breaks');
  return new TextEncoder().encode(`${PURPOSE}\n${sweepId}\n${owner}\n${expires}`);
}

export async function signVetoLink(signer: MacSigner, sweepId: string, owner: string, expires: number): Promise<VetoLinkParams> {
  const mac = await signer.sign(vetoLinkMessage(sweepId, owner, expires));
  return { owner, expires, sig: Buffer.from(mac).toString('base64url') };
}

export async function checkVetoLink(
  signer: MacSigner,
  sweepId: string,
  params: VetoLinkParams,
  now: Date,
): Promise<{ ok: true } | { ok: false; why: 'expired' | 'invalid' }> {
  if (params.expires * 1000 <= now.getTime()) return { ok: false, why: 'expired' };
  const mac = Buffer.from(params.sig, 'base64url');
  if (mac.length !== 32) return { ok: false, why: 'invalid' };
  return (await signer.verify(vetoLinkMessage(sweepId, params.owner, params.expires), mac)) ? { ok: true } : { ok: false, why: 'invalid' };
}

/**
 * `<base>/approvals/<sweepId>?owner=..&expires=..&sig=..`: the approval pages' own route (and API
 * Gateway resource), told apart by `owner` instead of `approver`.
 */
export function vetoUrl(baseUrl: string, sweepId: string, params: VetoLinkParams): string {
  const query = new URLSearchParams({ owner: params.owner, expires: String(params.expires), sig: params.sig });
  return `${baseUrl.replace(/\/+$/, '')}/approvals/${encodeURIComponent(sweepId)}?${query.toString()}`;
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MacSigner } from '../../src/cleanup/approval/links.ts';
import type { KeptNotification } from '../../src/core/notifier.ts';

/** A message the local runner kept instead of publishing (no SNS topic configured). */
export type LocalNotification = KeptNotification;

/**
 * Approval-link MACs with a secret that lives only in this process: links from a local run work
 * while the run waits, and no KMS key is needed (`start --local` without `--approval-key-id`).
 */
export function processMacSigner(): MacSigner {
  const secret = randomBytes(32);
  const mac = (message: Uint8Array) => createHmac('sha256', secret).update(message).digest();
  return {
    sign: async (message) => mac(message),
    verify: async (message, candidate) => {
      const expected = mac(message);
      return candidate.length === expected.length && timingSafeEqual(expected, Buffer.from(candidate));
    },
  };
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ClientFactory, type ClientFactoryOptions } from '../../src/core/clients.ts';
import type { MacSigner } from '../../src/cleanup/approval/links.ts';
import type { KeptNotification } from '../../src/core/notifier.ts';

/** A message the local runner kept instead of publishing (no SNS topic configured). */
export type LocalNotification = KeptNotification;

/**
 * The client factory of a local sweep: every client as usual (AWS or AWS_ENDPOINT_URL), except that
 * Step Functions calls go to the local runner (the approval page's SendTaskSuccess must reach the
 * runner, not AWS). `notifications` is the local notifier's list (src/core/notifier.ts): without an
 * SNS topic, notifications are kept there (the CLI prints the approval URL itself) instead of published.
 */
export class LocalClientFactory extends ClientFactory {
  private sfn?: SFNClient;
  readonly notifications: LocalNotification[] = [];

  constructor(
    private readonly base: ClientFactoryOptions,
    private readonly runnerUrl: string,
  ) {
    super(base);
  }

  override hub<C>(ctor: new (config: Record<string, unknown>) => C, region?: string): C {
    if ((ctor as unknown) === SFNClient) {
      this.sfn ??= new SFNClient({
        endpoint: this.runnerUrl,
        region: region ?? this.base.hubRegion,
        // The runner reads the caller from the signature's scope only; it verifies nothing.
        credentials: { accessKeyId: 'local-runner', secretAccessKey: 'local-runner' },
        maxAttempts: 3,
      });
      return this.sfn as unknown as C;
    }
    return super.hub(ctor, region);
  }
}

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

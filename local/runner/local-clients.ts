import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ClientFactory, type ClientFactoryOptions } from '../../src/core/clients.ts';
import type { MacSigner } from '../../src/cleanup/approval/links.ts';

/** A message the local runner kept instead of publishing (no SNS topic configured). */
export interface LocalNotification {
  subject?: string;
  message: string;
  attributes: Record<string, string>;
}

/**
 * The client factory of a local sweep: every client as usual (AWS or AWS_ENDPOINT_URL), except that
 * Step Functions calls go to the local runner (the approval page's SendTaskSuccess must reach the
 * runner, not AWS), and, without an SNS topic, notifications are kept in `notifications` (the CLI
 * prints the approval URL itself) instead of being published.
 */
export class LocalClientFactory extends ClientFactory {
  private sfn?: SFNClient;
  readonly notifications: LocalNotification[] = [];

  constructor(
    private readonly base: ClientFactoryOptions,
    private readonly runnerUrl: string,
    private readonly publishToSns: boolean,
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
    if ((ctor as unknown) === SNSClient && !this.publishToSns) return this.keeper() as unknown as C;
    return super.hub(ctor, region);
  }

  private keeper(): Pick<SNSClient, 'send'> {
    return {
      send: (async (command: unknown) => {
        if (!(command instanceof PublishCommand)) throw new Error('without an SNS topic the local runner only records Publish');
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(command.input.MessageAttributes ?? {})) attributes[key] = value.StringValue ?? '';
        this.notifications.push({ subject: command.input.Subject, message: command.input.Message ?? '', attributes });
        return { MessageId: `local-${this.notifications.length}`, $metadata: {} };
      }) as SNSClient['send'],
    };
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

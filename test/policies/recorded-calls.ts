import { ApiCallCounter, type ApiCall } from '../../src/core/api-calls.ts';
import type { LocalFunction } from '../../local/runner/functions.ts';
import { kmsStore } from '../../local/sim/services/kms.ts';
import { APPROVERS, BUCKET, MGMT, REGION, TEAM, decideOnPage, workflowEnv } from '../workflow/harness.ts';

/**
 * The SDK calls each hub function makes, recorded while one representative cleanup sweep runs
 * through the local runner against the simulator: owners told first, an approver approving two
 * zombies and keeping one, deletions, the final report and the owner digest, with audit retention
 * and separate link and decision keys as deployed. Each function has its own client factory in the
 * runner, so every call is attributed to the function that made it.
 */

export interface RecordedCall extends ApiCall {
  fn: LocalFunction;
  service: string;
  operation: string;
}

class Recorder extends ApiCallCounter {
  constructor(
    private readonly fn: LocalFunction,
    private readonly into: RecordedCall[],
  ) {
    super();
  }

  override record(service: string, operation: string, call?: ApiCall): void {
    super.record(service, operation, call);
    this.into.push({ fn: this.fn, service, operation, input: call?.input, ...(call?.target ? { target: call.target } : {}) });
  }
}

/** The simulator's names for what the policies call ArchiveBucket, NotificationTopicArn and the MAC keys. */
export interface RecordedIds {
  bucket: string;
  topicArn: string;
  approvalKeyId: string;
  decisionKeyId: string;
}

export async function recordCleanupSweep(): Promise<{ calls: RecordedCall[]; ids: RecordedIds }> {
  const env = await workflowEnv();
  try {
    const decisionKeyId = kmsStore(env.sim.world, MGMT, REGION).createHmacKey({ description: 'decisions' });
    const calls: RecordedCall[] = [];
    const recorders = new Map<LocalFunction, Recorder>();
    const counterFor = (fn: LocalFunction) => recorders.get(fn) ?? recorders.set(fn, new Recorder(fn, calls)).get(fn)!;
    const run = env.start(
      {
        sweepId: 'recorded-calls',
        mode: 'cleanup',
        digest: true,
        approval: { approvers: APPROVERS, notifyOwners: true, noticeSeconds: 0, accountOwners: { [TEAM]: 'ml-lead@example.com' } },
      },
      { decisionKeyId, counterFor, auditRetention: { mode: 'GOVERNANCE', days: 1 } },
    );
    const request = await run.approvalRequested;
    const decided = await decideOnPage(request.links[0]!.url, { keep: ['idle-b'] });
    if (decided.status !== 200) throw new Error(`the approval page answered ${decided.status}`);
    const result = await run.done;
    if (result.status !== 'SUCCEEDED') throw new Error(`the recorded sweep ended ${result.status}: ${result.error}: ${result.cause}`);
    return { calls, ids: { bucket: BUCKET, topicArn: env.topicArn, approvalKeyId: env.keyId, decisionKeyId } };
  } finally {
    await env.stop();
  }
}

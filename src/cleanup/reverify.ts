import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient, type DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import type { Candidate } from '../core/schemas.ts';
import { TAG, ZOMBIE_VALUE, type TagMap } from '../core/tags.ts';
import { toDescribedEndpoint } from '../detection/inventory.ts';
import { fetchDailySums, invocationSeries, summarizeUsage } from '../detection/metrics.ts';
import { judgeExemption } from '../detection/rules.ts';
import { protectedByTags } from '../core/protected.ts';
import { groupDecisionValid, readSignedDecision } from './approval/signature.ts';
import { readGroupDecision, type DecisionRecord } from './approval/store.ts';
import { readVeto } from './notice/store.ts';
import { archivedArtifactsProblem } from './archive-check.ts';
import {
  deleteTargetOf,
  describeEndpointOrUndefined,
  listInferenceComponentNames,
  manifestExists,
  manifestKey,
  readTagsOrUndefined,
  retryableOr,
  type CleanupDeps,
} from './endpoint.ts';

/**
 * Reads an endpoint's current state and re-verifies, at delete time, everything docs/design.md lists under
 * "Deletion re-verification". The helpers it shares with the other cleanup steps are in ./endpoint.ts.
 */

/**
 * Metrics reach CloudWatch a few minutes late, so an invocation just before detection may not have
 * been visible to it: the window starts this much earlier. The error is toward skipping, never toward deleting.
 */
export const PUBLICATION_LAG_MARGIN_MS = 5 * 60_000;

/**
 * Invocations from `since` (less the lag margin) to `now`, over exactly the series detection counts
 * (src/detection/metrics.ts: every variant, every inference component, async processed requests).
 */
export async function invocationsSince(
  cloudwatch: CloudWatchClient,
  endpoint: DescribeEndpointCommandOutput,
  inferenceComponents: readonly string[],
  since: Date,
  now: Date,
): Promise<{ invocations: number; error?: string }> {
  const described = toDescribedEndpoint(endpoint);
  const series = invocationSeries(
    described,
    inferenceComponents.map((name) => ({ inferenceComponentName: name, endpointName: described.endpointName })),
  );
  return summarizeUsage(await fetchDailySums(cloudwatch, series, new Date(since.getTime() - PUBLICATION_LAG_MARGIN_MS), now));
}

export type Reverification =
  | { outcome: 'verified'; tags: TagMap; endpoint: DescribeEndpointCommandOutput; inferenceComponents: string[]; approvedBy: string }
  /** Deletion already under way (an earlier attempt of this step started it). */
  | { outcome: 'deleting'; tags: TagMap; approvedBy: string; endpointConfigName?: string }
  | { outcome: 'gone' }
  | { outcome: 'failed'; check: ReverifyCheck; reason: string; tags?: TagMap };

export type ReverifyCheck =
  'approved' | 'vetoed' | 'manifest' | 'archive' | 'exists' | 'in-service' | 'tags' | 'exempt' | 'protected' | 'unchanged' | 'invocations';

/**
 * The signed decision approves this endpoint for this action; with approver groups, its own group's
 * signed record (the one the sweep's decision names, by MAC) approves it too and no group rejects it.
 * Returns why not, or the decision.
 */
async function decisionProblem(deps: CleanupDeps, candidate: Candidate, action: 'delete' | 'scale-to-zero'): Promise<string | DecisionRecord> {
  const s3 = deps.clients.hub(S3Client);
  const signed = await readSignedDecision(s3, deps.archiveBucket, deps.decisionSigner, candidate.sweepId);
  if (!signed.ok) return signed.reason;
  const decision = signed.stored.value;
  if (decision.status !== 'delivered') return `the sweep's decision is ${decision.status}, not delivered`;
  if (!decision.approved.includes(candidate.endpointArn)) return `not approved by ${decision.approver}`;
  // The two actions exclude each other: an endpoint chosen for scale to zero is never deleted, and back.
  const scaling = decision.scaleToZero?.includes(candidate.endpointArn) ?? false;
  if (action === 'delete' && scaling) return `${decision.approver} chose scale to zero, not deletion`;
  if (action === 'scale-to-zero' && !scaling) return `${decision.approver} did not choose scale to zero`;
  if (!decision.groups) return decision;
  let approvedByGroup: string | undefined;
  for (const ref of decision.groups) {
    const group = (await readGroupDecision(s3, deps.archiveBucket, candidate.sweepId, ref.group))?.value;
    if (!group || group.mac !== ref.mac || !(await groupDecisionValid(deps.decisionSigner, group)))
      return `the decision record of approver group ${ref.group} is missing, altered or its signature does not verify`;
    if (group.rejected.includes(candidate.endpointArn)) return `approver group ${ref.group} kept it`;
    if (group.approved.includes(candidate.endpointArn)) approvedByGroup = ref.group;
  }
  return approvedByGroup ? decision : 'no approver group approved it';
}

/** Every check docs/design.md requires, cheapest first. Nothing here changes anything. */
export async function reverify(deps: CleanupDeps, candidate: Candidate, action: 'delete' | 'scale-to-zero' = 'delete'): Promise<Reverification> {
  const fail = (check: ReverifyCheck, reason: string, tags?: TagMap): Reverification => ({ outcome: 'failed', check, reason, tags });
  const s3 = deps.clients.hub(S3Client);

  const decided = await decisionProblem(deps, candidate, action);
  if (typeof decided === 'string') return fail('approved', decided);
  const approvedBy = decided.approver;
  const veto = await readVeto(s3, deps.archiveBucket, candidate);
  if (veto) return fail('vetoed', `its owner ${veto.owner} vetoed deletion at ${veto.vetoedAt}`);

  const key = manifestKey(candidate);
  if (!(await manifestExists(deps, key))) return fail('manifest', `no verified snapshot manifest at s3://${deps.archiveBucket}/${key}`);
  const archiveProblem = await archivedArtifactsProblem({ s3, archiveBucket: deps.archiveBucket, manifestKey: key }).catch((error: unknown) => {
    throw retryableOr(error);
  });
  if (archiveProblem) return fail('archive', archiveProblem);

  const sagemaker = deps.clients.target(SageMakerClient, deleteTargetOf(candidate));
  const endpoint = await describeEndpointOrUndefined(sagemaker, candidate.endpointName);
  if (!endpoint) return { outcome: 'gone' };
  if (endpoint.EndpointArn && endpoint.EndpointArn !== candidate.endpointArn)
    return fail('exists', `the endpoint now has ARN ${endpoint.EndpointArn}: it was recreated`);

  // An endpoint already Deleting can finish between the describe and the tag read: that is gone, not a failure.
  const tags = await readTagsOrUndefined(sagemaker, candidate.endpointArn);
  if (!tags) return { outcome: 'gone' };
  const zombie = tags[TAG.zombie];
  if (zombie !== ZOMBIE_VALUE.confirmed)
    return fail('tags', zombie === undefined ? `the ${TAG.zombie} tag was removed` : `the ${TAG.zombie} tag is now "${zombie}"`, tags);
  if (tags[TAG.sweepId] !== candidate.sweepId)
    return fail('tags', `the ${TAG.sweepId} tag is now "${tags[TAG.sweepId] ?? ''}", not ${candidate.sweepId}`, tags);

  if (endpoint.EndpointStatus === 'Deleting') return { outcome: 'deleting', tags, approvedBy, endpointConfigName: endpoint.EndpointConfigName };
  if (endpoint.EndpointStatus !== 'InService')
    return fail('in-service', `the endpoint is ${endpoint.EndpointStatus ?? 'in an unknown state'}, not InService`, tags);

  const now = deps.clock.now();
  const shield = protectedByTags(tags);
  if (shield) return fail('protected', `${shield}; zombie-sweep never deletes or scales a protected endpoint`, tags);
  const exemption = judgeExemption(tags, now);
  if (exemption.exempt) return fail('exempt', `the owner exempted it: ${exemption.reason}`, tags);

  const detectedAt = new Date(candidate.detectedAt);
  if (Number.isNaN(detectedAt.getTime())) return fail('invocations', `detectedAt "${candidate.detectedAt}" is not a time`, tags);
  // A detection time ahead of this clock would leave no window to check: never read that as "not invoked".
  if (detectedAt.getTime() - PUBLICATION_LAG_MARGIN_MS > now.getTime())
    return fail('invocations', `detectedAt ${candidate.detectedAt} is after now (${now.toISOString()}); cannot check usage since detection`, tags);
  if (endpoint.LastModifiedTime && endpoint.LastModifiedTime.getTime() > detectedAt.getTime()) {
    return fail('unchanged', `the endpoint was updated at ${endpoint.LastModifiedTime.toISOString()}, after detection`, tags);
  }

  const inferenceComponents = await listInferenceComponentNames(sagemaker, candidate.endpointName);
  const cloudwatch = deps.clients.target(CloudWatchClient, deleteTargetOf(candidate));
  const usage = await invocationsSince(cloudwatch, endpoint, inferenceComponents, detectedAt, now);
  if (usage.error) return fail('invocations', `metrics could not be read completely (${usage.error})`, tags);
  if (usage.invocations > 0) return fail('invocations', `invoked ${usage.invocations} time(s) since detection at ${candidate.detectedAt}`, tags);

  return { outcome: 'verified', tags, endpoint, inferenceComponents, approvedBy };
}

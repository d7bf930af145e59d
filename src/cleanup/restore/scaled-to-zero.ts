import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { S3Client } from '@aws-sdk/client-s3';
import { AddTagsCommand, ListTagsCommand, SageMakerClient, type DescribeEndpointOutput } from '@aws-sdk/client-sagemaker';
import type { TargetRef } from '../../core/clients.ts';
import { layout, parseS3Uri } from '../../core/layout.ts';
import { readJsonObject } from '../../core/s3-json.ts';
import { TAG, ZOMBIE_VALUE, tagMapToList, type TagMap } from '../../core/tags.ts';
import { appendAuditEvent } from '../../audit/events.ts';
import { PreviousCapacitySchema, restoreCapacity } from '../scale-to-zero.ts';
import type { Manifest } from '../snapshot/manifest.ts';
import type { RestoreDeps, RestoreResult } from './restore.ts';

/**
 * `zombie-sweep restore` of an endpoint that was scaled to zero instead of deleted: it still exists,
 * so nothing is recreated; the copies, instance counts and scaling minimums recorded before the change
 * (`scaled-to-zero/<account>/<region>/<endpoint>/<sweep>.json`) are put back and the endpoint is
 * tagged `zombie=restored`. Returns undefined when the endpoint is not this snapshot's scaled-to-zero one.
 */
export async function restoreScaledToZero(
  deps: RestoreDeps,
  manifest: Manifest,
  manifestUri: string,
  target: TargetRef,
  existing: DescribeEndpointOutput,
  actor: string,
): Promise<RestoreResult | undefined> {
  const sagemaker = deps.factory.target(SageMakerClient, target);
  const arn = existing.EndpointArn ?? manifest.endpointArn;
  const tags = await readTags(sagemaker, arn);
  if (tags[TAG.zombie] !== ZOMBIE_VALUE.scaledToZero || tags[TAG.sweepId] !== manifest.sweepId) return undefined;
  const s3 = deps.factory.hub(S3Client);
  const bucket = parseS3Uri(manifestUri).bucket;
  const stored = await readJsonObject(s3, bucket, layout.scaledToZero(manifest.accountId, manifest.region, manifest.endpointName, manifest.sweepId));
  if (!stored) return undefined;
  const previous = PreviousCapacitySchema.parse(stored.value);

  await restoreCapacity({ sagemaker, scaling: deps.factory.target(ApplicationAutoScalingClient, target) }, manifest.endpointName, previous);
  const mark = { [TAG.zombie]: ZOMBIE_VALUE.restored };
  await sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: tagMapToList(mark) }));
  const tagsAfter = { ...tags, ...mark };
  await appendAuditEvent(
    { s3, bucket, clock: deps.clock, retention: deps.auditRetention },
    {
      type: 'restored',
      actor,
      sweepId: manifest.sweepId,
      accountId: manifest.accountId,
      region: manifest.region,
      endpointName: manifest.endpointName,
      endpointArn: arn,
      tagsBefore: tags,
      tagsAfter,
      details: { manifestUri, from: 'scaled-to-zero', previous },
    },
  );
  deps.log.info('scaled-to-zero endpoint restored', { endpointName: manifest.endpointName });
  return {
    manifestUri,
    endpointName: manifest.endpointName,
    endpointArn: arn,
    endpointConfigName: existing.EndpointConfigName ?? manifest.endpointConfigName,
    status: existing.EndpointStatus ?? 'InService',
    models: [],
    inferenceComponents: previous.components.map((c) => ({ original: c.name, name: c.name })),
    scalableTargets: previous.scalableTargets.length,
    tags: tagsAfter,
    warnings: [],
  };
}

async function readTags(sagemaker: SageMakerClient, arn: string): Promise<TagMap> {
  const tags: TagMap = {};
  let nextToken: string | undefined;
  do {
    const page = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn, NextToken: nextToken }));
    for (const tag of page.Tags ?? []) if (tag.Key) tags[tag.Key] = tag.Value ?? '';
    nextToken = page.NextToken;
  } while (nextToken);
  return tags;
}

import { describe, expect, it } from 'vitest';
import { PreconditionFailedError } from '../../src/core/errors.ts';
import {
  endpointConfigSpecOf,
  modelSpecOf,
  restoredName,
  restoredTags,
  rewriteContainer,
  sameEndpointConfig,
  sameModel,
  scalingResourceId,
} from '../../src/cleanup/restore/plan.ts';

const map = new Map([
  ['s3://src/model.tar.gz', 's3://arch/artifacts/1/r/e/s/src/model.tar.gz'],
  ['s3://src/tree/', 's3://arch/artifacts/1/r/e/s/src/tree/'],
  ['s3://jumpstart-cache-prod-us-east-1/m/', 's3://jumpstart-cache-prod-us-east-1/m/'],
]);

describe('restore plan', () => {
  it('points every container at the archived copies and drops the source ETags', () => {
    const container = rewriteContainer(
      {
        Image: 'img',
        Environment: { A: '1' },
        ModelDataSource: { S3DataSource: { S3Uri: 's3://src/tree/', S3DataType: 'S3Prefix', CompressionType: 'None', ETag: 'old' } },
        AdditionalModelDataSources: [
          {
            ChannelName: 'c',
            S3DataSource: {
              S3Uri: 's3://jumpstart-cache-prod-us-east-1/m/',
              S3DataType: 'S3Prefix',
              CompressionType: 'None',
              ModelAccessConfig: { AcceptEula: true },
            },
          },
        ],
      },
      map,
      'model m',
    );
    expect(container).toEqual({
      Image: 'img',
      Environment: { A: '1' },
      ModelDataSource: { S3DataSource: { S3Uri: 's3://arch/artifacts/1/r/e/s/src/tree/', S3DataType: 'S3Prefix', CompressionType: 'None' } },
      AdditionalModelDataSources: [
        {
          ChannelName: 'c',
          S3DataSource: {
            S3Uri: 's3://jumpstart-cache-prod-us-east-1/m/',
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
            ModelAccessConfig: { AcceptEula: true },
          },
        },
      ],
    });
  });

  it('refuses a URI the manifest has no copy of', () => {
    expect(() => rewriteContainer({ Image: 'i', ModelDataUrl: 's3://elsewhere/x.tar.gz' }, map, 'model m')).toThrow(PreconditionFailedError);
  });

  it('recognises a model identical to what it would create, despite describe-only defaults', () => {
    const spec = modelSpecOf({ ModelName: 'm', PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://src/model.tar.gz' }, ExecutionRoleArn: 'role' }, map);
    expect(
      sameModel(
        {
          ModelName: 'm',
          PrimaryContainer: { Image: 'i', Mode: 'SingleModel', Environment: {}, ModelDataUrl: 's3://arch/artifacts/1/r/e/s/src/model.tar.gz' },
          ExecutionRoleArn: 'role',
          EnableNetworkIsolation: false,
        },
        spec,
      ),
    ).toBe(true);
    expect(sameModel({ ModelName: 'm', PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://src/model.tar.gz' }, ExecutionRoleArn: 'role' }, spec)).toBe(false);
  });

  it('keeps variants exactly, with model names mapped', () => {
    const described = {
      EndpointConfigName: 'c',
      ProductionVariants: [{ VariantName: 'A', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://o/' } },
      CreationTime: '2024-01-01',
      EndpointConfigArn: 'arn',
    };
    const spec = endpointConfigSpecOf(described, new Map([['m', 'm-restored-s']]));
    expect(spec).toEqual({
      AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://o/' } },
      ProductionVariants: [{ VariantName: 'A', ModelName: 'm-restored-s', InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 }],
    });
    expect(sameEndpointConfig(described, spec)).toBe(false);
    expect(sameEndpointConfig({ ...described, ProductionVariants: [{ ...described.ProductionVariants[0], ModelName: 'm-restored-s' }] }, spec)).toBe(true);
  });

  it('tags with the owner tags, zombie=restored and the manifest, never zombie* or aws: keys', () => {
    expect(
      restoredTags({ team: 'x', zombie: 'confirmed', 'zombie-sweep-id': 's', 'zombie-exempt': 'true', 'aws:cloudformation:stack-name': 'st' }, 's3://a/m.json'),
    ).toEqual({ team: 'x', zombie: 'restored', 'zombie-snapshot': 's3://a/m.json' });
  });

  it('names restored copies within 63 characters, stably', () => {
    expect(restoredName('fraud', 'sweep-1')).toBe('fraud-restored-sweep-1');
    const long = restoredName('a'.repeat(60), 'sweep-2025-01-31-a1b2');
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^a+-restored-[0-9a-f]{8}$/);
    expect(restoredName('a'.repeat(60), 'sweep-2025-01-31-a1b2')).toBe(long);
  });

  it('moves scaling resource ids to the restored names', () => {
    expect(scalingResourceId('endpoint/old/variant/AllTraffic', 'old', 'new', new Map())).toBe('endpoint/new/variant/AllTraffic');
    expect(scalingResourceId('inference-component/ic', 'old', 'new', new Map([['ic', 'ic-restored-s']]))).toBe('inference-component/ic-restored-s');
  });
});

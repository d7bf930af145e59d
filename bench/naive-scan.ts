import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, ListEndpointsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { TargetRef } from '../src/core/clients.ts';

/**
 * The baseline the benchmark compares against: what a first script does, one call at a time. Per
 * account-region ListEndpoints; per endpoint DescribeEndpoint and one GetMetricStatistics of the
 * AllTraffic variant's Invocations over 30 days. It prices nothing, reads no tags and misses every
 * endpoint whose traffic is not on AllTraffic, so it is a lower bound on what a correct serial scan costs.
 */
export interface NaiveScanResult {
  endpoints: number;
  seconds: number;
}

export async function naiveScan(options: { targets: readonly TargetRef[]; endpoints: number; region: string }): Promise<NaiveScanResult> {
  const started = performance.now();
  const sts = new STSClient({ region: options.region });
  const credentials = new Map<string, Awaited<ReturnType<typeof assume>>>();
  const assume = async (target: TargetRef) => {
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${target.accountId}:role/${target.roleName}`, RoleSessionName: 'naive-scan' }));
    return { accessKeyId: out.Credentials!.AccessKeyId!, secretAccessKey: out.Credentials!.SecretAccessKey!, sessionToken: out.Credentials!.SessionToken };
  };
  let endpoints = 0;
  for (const target of options.targets) {
    if (endpoints >= options.endpoints) break;
    let creds = target.roleName ? credentials.get(target.accountId) : undefined;
    if (target.roleName && !creds) {
      creds = await assume(target);
      credentials.set(target.accountId, creds);
    }
    const config = { region: target.region, ...(creds ? { credentials: creds } : {}) };
    const sagemaker = new SageMakerClient(config);
    const cloudwatch = new CloudWatchClient(config);
    let token: string | undefined;
    do {
      const page = await sagemaker.send(new ListEndpointsCommand({ StatusEquals: 'InService', NextToken: token }));
      for (const summary of page.Endpoints ?? []) {
        if (endpoints >= options.endpoints) break;
        await sagemaker.send(new DescribeEndpointCommand({ EndpointName: summary.EndpointName }));
        const end = new Date();
        await cloudwatch.send(
          new GetMetricStatisticsCommand({
            Namespace: 'AWS/SageMaker',
            MetricName: 'Invocations',
            Dimensions: [
              { Name: 'EndpointName', Value: summary.EndpointName },
              { Name: 'VariantName', Value: 'AllTraffic' },
            ],
            StartTime: new Date(end.getTime() - 30 * 86_400_000),
            EndTime: end,
            Period: 86_400,
            Statistics: ['Sum'],
          }),
        );
        endpoints++;
      }
      token = page.NextToken || undefined;
    } while (token && endpoints < options.endpoints);
    sagemaker.destroy();
    cloudwatch.destroy();
  }
  sts.destroy();
  return { endpoints, seconds: (performance.now() - started) / 1000 };
}

import { ListMetricsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { InferenceComponentRef } from './model.ts';
import { NAMESPACE, type Series } from './metrics.ts';

/**
 * Activity evidence before any describe. ListMetrics names every Invocations series with data in the
 * last two weeks (500 per call); summing those over the window proves most busy endpoints busy
 * without a DescribeEndpoint each. Only "active" is ever decided this way: a count above the
 * threshold from some of an endpoint's series is above it from all of them. Every other endpoint is
 * described and judged on all its series, so an idle verdict never rests on this shortcut.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_ListMetrics.html
 */
export async function recentInvocationSeries(cloudwatch: CloudWatchClient): Promise<{ dimensions: { Name: string; Value: string }[] }[]> {
  const out: { dimensions: { Name: string; Value: string }[] }[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(new ListMetricsCommand({ Namespace: NAMESPACE, MetricName: 'Invocations', NextToken: token }));
    for (const metric of page.Metrics ?? []) {
      out.push({ dimensions: (metric.Dimensions ?? []).flatMap((d) => (d.Name && d.Value !== undefined ? [{ Name: d.Name, Value: d.Value }] : [])) });
    }
    token = page.NextToken || undefined;
  } while (token);
  return out;
}

/**
 * The listed series that belong to endpoints in `endpointNames`: per variant (exactly EndpointName +
 * VariantName) or per inference component (exactly InferenceComponentName). Other dimension sets
 * (per instance, per container) repeat the same requests and would be counted twice.
 */
export function evidenceSeries(
  listed: readonly { dimensions: { Name: string; Value: string }[] }[],
  endpointNames: ReadonlySet<string>,
  components: readonly InferenceComponentRef[],
): Series[] {
  const endpointOfComponent = new Map(components.map((c) => [c.inferenceComponentName, c.endpointName]));
  const series: Series[] = [];
  for (const { dimensions } of listed) {
    const names = dimensions.map((d) => d.Name).sort().join('+');
    const value = (name: string) => dimensions.find((d) => d.Name === name)?.Value;
    let endpointName: string | undefined;
    if (names === 'EndpointName+VariantName') endpointName = value('EndpointName');
    else if (names === 'InferenceComponentName') endpointName = endpointOfComponent.get(value('InferenceComponentName')!);
    if (endpointName === undefined || !endpointNames.has(endpointName)) continue;
    series.push({ endpointName, metricName: 'Invocations', dimensions });
  }
  return series;
}

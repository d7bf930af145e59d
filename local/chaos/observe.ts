import type { Simulator } from '../sim/server.ts';
import { metricStore } from '../sim/services/cloudwatch/store.ts';
import { sagemakerStore } from '../sim/services/sagemaker/store.ts';
import type { TagMap } from '../../src/core/tags.ts';
import { endpointKey } from './org.ts';

/**
 * What the checker needs to know, read from the simulator itself (never from the product's report):
 * every endpoint's resources and tags before the sweep, and, at the instant of each DeleteEndpoint
 * call, the endpoint's tags and whether it had been invoked since the sweep began.
 */
export interface EndpointState {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  configName: string;
  models: string[];
  components: { name: string; model?: string }[];
  tags: TagMap;
}

export interface DeleteCall {
  key: string;
  at: number;
  tags: TagMap;
  status: string | undefined;
  invocationsSinceStart: number;
  /** The sweep id of the session's capability, from the caller's role session (when the hub names it). */
  sessionName: string | undefined;
}

export interface TagWrite {
  key: string;
  operation: 'AddTags' | 'DeleteTags';
  keys: string[];
  at: number;
}

export function endpointStates(sim: Simulator, regions: string[]): Map<string, EndpointState> {
  const out = new Map<string, EndpointState>();
  for (const accountId of sim.world.accounts.keys()) {
    for (const region of regions) {
      const store = sagemakerStore(sim.world, accountId, region);
      for (const endpoint of store.listEndpoints()) {
        if (endpoint.status === 'Deleting') continue;
        const config = store.getEndpointConfig(endpoint.configName);
        const components = store
          .listInferenceComponents()
          .filter((c) => c.endpointName === endpoint.name)
          .map((c) => ({ name: c.name, model: (c.specification as { ModelName?: string } | undefined)?.ModelName }));
        const models = [
          ...new Set(
            (config?.spec.ProductionVariants ?? endpoint.deployedConfig.ProductionVariants)
              .map((v) => v.ModelName)
              .filter((m): m is string => typeof m === 'string'),
          ),
        ];
        out.set(endpointKey(accountId, region, endpoint.name), {
          accountId,
          region,
          name: endpoint.name,
          arn: endpoint.arn,
          configName: endpoint.configName,
          models,
          components,
          tags: store.tagsOf(endpoint.arn),
        });
      }
    }
  }
  return out;
}

/** Invocations (real-time, async processed, inference components) published at or after `since`. */
export function invocationsSince(sim: Simulator, accountId: string, region: string, name: string, components: string[], since: number): number {
  let total = 0;
  for (const series of metricStore(sim.world, accountId, region).all()) {
    if (series.metricName !== 'Invocations' && series.metricName !== 'InvocationsProcessed') continue;
    const ofEndpoint = series.dimensions.some((d) => d.Name === 'EndpointName' && d.Value === name);
    const ofComponent = series.dimensions.some((d) => d.Name === 'InferenceComponentName' && components.includes(d.Value));
    if (!ofEndpoint && !ofComponent) continue;
    for (const [at, cell] of series.points) if (at >= since) total += cell.sum;
  }
  return total;
}

/** Records every DeleteEndpoint and every tag write the product makes, at the moment it makes them. */
export function watchDestructiveCalls(
  sim: Simulator,
  since: number,
  archiveBucket: string,
): { deletes: DeleteCall[]; tagWrites: TagWrite[]; auditKeys: Set<string> } {
  const deletes: DeleteCall[] = [];
  const tagWrites: TagWrite[] = [];
  const auditKeys = new Set<string>();
  // Every audit key ever written, so that one removed later (with all its versions) is still noticed.
  const auditPath = `/${archiveBucket}/audit/`;
  sim.traffic.inject({
    service: 's3',
    when: (ctx) => ctx.request?.url.pathname.startsWith(auditPath) === true && ctx.request.method === 'PUT',
    after: (ctx) => {
      auditKeys.add(decodeURIComponent(ctx.request!.url.pathname.slice(archiveBucket.length + 2)));
    },
  });
  const bodyOf = async (request: { body(): Promise<Buffer> } | undefined) => JSON.parse((await request?.body())?.toString() || '{}') as Record<string, unknown>;
  sim.traffic.inject({
    service: 'sagemaker',
    operation: 'DeleteEndpoint',
    before: async (ctx) => {
      const name = String((await bodyOf(ctx.request)).EndpointName ?? '');
      const { accountId, region } = ctx.caller;
      const store = sagemakerStore(sim.world, accountId, region);
      const record = store.getEndpoint(name);
      const components = store
        .listInferenceComponents()
        .filter((c) => c.endpointName === name)
        .map((c) => c.name);
      deletes.push({
        key: endpointKey(accountId, region, name),
        at: Date.now(),
        tags: record ? store.tagsOf(record.arn) : {},
        status: record?.status,
        invocationsSinceStart: invocationsSince(sim, accountId, region, name, components, since),
        sessionName: ctx.caller.assumedRole?.sessionName,
      });
    },
  });
  for (const operation of ['AddTags', 'DeleteTags'] as const) {
    sim.traffic.inject({
      service: 'sagemaker',
      operation,
      before: async (ctx) => {
        const body = await bodyOf(ctx.request);
        const arn = String(body.ResourceArn ?? '');
        const name = arn.split('/').pop() ?? '';
        const keys =
          operation === 'AddTags' ? ((body.Tags as { Key: string }[] | undefined) ?? []).map((t) => t.Key) : ((body.TagKeys as string[] | undefined) ?? []);
        tagWrites.push({ key: endpointKey(ctx.caller.accountId, ctx.caller.region, name), operation, keys, at: Date.now() });
      },
    });
  }
  return { deletes, tagWrites, auditKeys };
}

import { decodeToken, encodeToken, jsonService, SimError, type CallContext, type SimService } from '../../protocol.ts';
import { ApiInput } from './input.ts';
import { ARN_PATTERN, ENDPOINT_STATUSES, INFERENCE_COMPONENT_NAME_PATTERN, INFERENCE_COMPONENT_STATUSES, NAME_PATTERN, type Tag } from './model.ts';
import { pageOf } from './paging.ts';
import { describeEndpoint, describeEndpointConfig, describeInferenceComponent, describeModel, endpointSummary, inferenceComponentSummary } from './shapes.ts';
import { sagemakerStore } from './store.ts';
import { recordApiCall } from '../../cloudtrail.ts';

/**
 * SageMaker over its real wire protocol (JSON 1.1, `X-Amz-Target: SageMaker.<Operation>`, signing name
 * sagemaker), scoped to the caller's account and signing region. Request and response shapes follow
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/ ; unknown resources answer
 * ValidationException "Could not find endpoint "<arn>"." as AWS does (the SDK models no not-found class
 * for these operations).
 */

const storeFor = (ctx: CallContext) => sagemakerStore(ctx.world, ctx.caller.accountId, ctx.caller.region);
const read = (input: Record<string, unknown>) => new ApiInput(input);
const SORT_ORDERS = ['Ascending', 'Descending'] as const;

function tagsOf(input: ApiInput): Tag[] | undefined {
  return input.has('Tags')
    ? input.objects('Tags', { max: 50 }).map((t) => ({ Key: t.string('Key', { required: true }), Value: t.string('Value', { required: true }) }))
    : undefined;
}

/** CloudTrail records request members in camelCase: `tags: [{ key, value }]`. */
function cloudTrailTags(tags: Tag[] | undefined): { tags?: { key: string; value: string }[] } {
  return tags ? { tags: tags.map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })) } : {};
}

function listFilters(input: ApiInput, sortFields: readonly string[] = ['Name', 'CreationTime', 'Status']) {
  return {
    nameContains: input.string('NameContains', { max: 63 })?.toLowerCase(),
    creationTimeBefore: input.date('CreationTimeBefore'),
    creationTimeAfter: input.date('CreationTimeAfter'),
    lastModifiedTimeBefore: input.date('LastModifiedTimeBefore'),
    lastModifiedTimeAfter: input.date('LastModifiedTimeAfter'),
    sortBy: input.string('SortBy', { oneOf: sortFields }) ?? 'CreationTime',
    sortOrder: (input.string('SortOrder', { oneOf: SORT_ORDERS }) ?? 'Descending') as (typeof SORT_ORDERS)[number],
    maxResults: input.number('MaxResults', { integer: true, min: 1, max: 100 }) ?? 10,
    nextToken: input.string('NextToken', { max: 8192 }),
  };
}

type Filters = ReturnType<typeof listFilters>;
function matches(filters: Filters, item: { name: string; creationTime: Date; lastModifiedTime: Date }): boolean {
  return (
    (filters.nameContains === undefined || item.name.toLowerCase().includes(filters.nameContains)) &&
    (filters.creationTimeBefore === undefined || item.creationTime < filters.creationTimeBefore) &&
    (filters.creationTimeAfter === undefined || item.creationTime > filters.creationTimeAfter) &&
    (filters.lastModifiedTimeBefore === undefined || item.lastModifiedTime < filters.lastModifiedTimeBefore) &&
    (filters.lastModifiedTimeAfter === undefined || item.lastModifiedTime > filters.lastModifiedTimeAfter)
  );
}

function sortKey(sortBy: string, item: { name: string; creationTime: Date; status: string }) {
  const name = item.name.toLowerCase();
  return { value: sortBy === 'Name' ? name : sortBy === 'Status' ? item.status : item.creationTime.getTime(), name };
}

const endpointName = (input: ApiInput, field = 'EndpointName') => input.string(field, { required: true, max: 63, pattern: NAME_PATTERN });
const componentName = (input: ApiInput) => input.string('InferenceComponentName', { required: true, max: 63, pattern: INFERENCE_COMPONENT_NAME_PATTERN });
const resourceArn = (input: ApiInput) => input.string('ResourceArn', { required: true, max: 256, pattern: ARN_PATTERN });

export const sagemakerOperations = {
  CreateModel(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const name = input.string('ModelName', { required: true, max: 63, pattern: NAME_PATTERN });
    const model = storeFor(ctx).createModel({ ...raw, ModelName: name, Tags: tagsOf(input) });
    return { ModelArn: model.arn };
  },
  DescribeModel(raw: Record<string, unknown>, ctx: CallContext) {
    return describeModel(storeFor(ctx).requireModel(read(raw).string('ModelName', { required: true, max: 63, pattern: NAME_PATTERN })));
  },
  DeleteModel(raw: Record<string, unknown>, ctx: CallContext) {
    storeFor(ctx).deleteModel(read(raw).string('ModelName', { required: true, max: 63, pattern: NAME_PATTERN }));
    return {};
  },

  CreateEndpointConfig(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const name = endpointName(input, 'EndpointConfigName');
    input.objects('ProductionVariants', { required: true, min: 1, max: 10 });
    const config = storeFor(ctx).createEndpointConfig({ ...raw, EndpointConfigName: name, Tags: tagsOf(input) });
    return { EndpointConfigArn: config.arn };
  },
  DescribeEndpointConfig(raw: Record<string, unknown>, ctx: CallContext) {
    return describeEndpointConfig(storeFor(ctx).requireEndpointConfig(endpointName(read(raw), 'EndpointConfigName')));
  },
  /** Names, ARNs and creation times only (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html). */
  ListEndpointConfigs(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const filters = listFilters(input, ['Name', 'CreationTime']);
    const configs = storeFor(ctx)
      .listEndpointConfigs()
      .filter((c) => matches(filters, { ...c, lastModifiedTime: c.creationTime }));
    const { page, nextToken } = pageOf(configs, (c) => sortKey(filters.sortBy, { ...c, status: '' }), filters);
    return { EndpointConfigs: page.map((c) => ({ EndpointConfigName: c.name, EndpointConfigArn: c.arn, CreationTime: c.creationTime })), NextToken: nextToken };
  },
  DeleteEndpointConfig(raw: Record<string, unknown>, ctx: CallContext) {
    storeFor(ctx).deleteEndpointConfig(endpointName(read(raw), 'EndpointConfigName'));
    return {};
  },

  CreateEndpoint(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const tags = tagsOf(input);
    const endpoint = storeFor(ctx).createEndpoint({
      EndpointName: endpointName(input),
      EndpointConfigName: endpointName(input, 'EndpointConfigName'),
      Tags: tags,
    });
    recordApiCall(
      ctx,
      'sagemaker.amazonaws.com',
      { endpointName: endpoint.name, endpointConfigName: endpoint.configName, ...cloudTrailTags(tags) },
      { endpointArn: endpoint.arn },
    );
    return { EndpointArn: endpoint.arn };
  },
  DescribeEndpoint(raw: Record<string, unknown>, ctx: CallContext) {
    return describeEndpoint(storeFor(ctx).requireEndpoint(endpointName(read(raw))));
  },
  DeleteEndpoint(raw: Record<string, unknown>, ctx: CallContext) {
    storeFor(ctx).deleteEndpoint(endpointName(read(raw)));
    return {};
  },
  ListEndpoints(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const filters = listFilters(input);
    const status = input.string('StatusEquals', { oneOf: ENDPOINT_STATUSES });
    const endpoints = storeFor(ctx)
      .listEndpoints()
      .filter((e) => matches(filters, e) && (status === undefined || e.status === status));
    const { page, nextToken } = pageOf(endpoints, (e) => sortKey(filters.sortBy, e), filters);
    return { Endpoints: page.map(endpointSummary), NextToken: nextToken };
  },

  CreateInferenceComponent(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const runtime = input.object('RuntimeConfig', { required: true })!;
    const component = storeFor(ctx).createInferenceComponent({
      InferenceComponentName: componentName(input),
      EndpointName: endpointName(input),
      VariantName: input.string('VariantName', { max: 63 }),
      Specification: input.object('Specification', { required: true })!.raw,
      RuntimeConfig: { CopyCount: runtime.number('CopyCount', { required: true, integer: true, min: 0 })! },
      Tags: tagsOf(input),
    });
    recordApiCall(
      ctx,
      'sagemaker.amazonaws.com',
      { inferenceComponentName: component.name, endpointName: component.endpointName, ...cloudTrailTags(tagsOf(input)) },
      { inferenceComponentArn: component.arn },
    );
    return { InferenceComponentArn: component.arn };
  },
  /**
   * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
   * (CopyCount minimum 0). The copies change at once here; AWS moves them while the component is Updating.
   */
  UpdateInferenceComponentRuntimeConfig(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const copies = input.object('DesiredRuntimeConfig', { required: true })!.number('CopyCount', { required: true, integer: true, min: 0 })!;
    const component = storeFor(ctx).requireInferenceComponent(componentName(input));
    if (component.status !== 'InService')
      throw new SimError('ValidationException', `Inference component "${component.arn}" is not in InService status (it is ${component.status}).`);
    component.desiredCopyCount = copies;
    component.currentCopyCount = copies;
    component.lastModifiedTime = ctx.world.now();
    return { InferenceComponentArn: component.arn };
  },
  /** https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DesiredWeightAndCapacity.html (DesiredInstanceCount minimum 0). */
  UpdateEndpointWeightsAndCapacities(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const store = storeFor(ctx);
    const endpoint = store.requireEndpoint(endpointName(input));
    if (endpoint.status !== 'InService')
      throw new SimError('ValidationException', `Endpoint "${endpoint.arn}" is not in InService status (it is ${endpoint.status}).`);
    const wanted = input.raw.DesiredWeightsAndCapacities;
    if (!Array.isArray(wanted) || wanted.length === 0) throw new SimError('ValidationException', 'DesiredWeightsAndCapacities must name at least one variant.');
    for (const entry of wanted as { VariantName?: unknown; DesiredInstanceCount?: unknown }[]) {
      const count = entry.DesiredInstanceCount;
      if (count === undefined) continue;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0)
        throw new SimError('ValidationException', 'DesiredInstanceCount must be an integer of at least 0.');
      store.setInstanceCount(endpoint.name, String(entry.VariantName), count);
    }
    endpoint.lastModifiedTime = ctx.world.now();
    return { EndpointArn: endpoint.arn };
  },
  DescribeInferenceComponent(raw: Record<string, unknown>, ctx: CallContext) {
    return describeInferenceComponent(storeFor(ctx).requireInferenceComponent(componentName(read(raw))));
  },
  DeleteInferenceComponent(raw: Record<string, unknown>, ctx: CallContext) {
    storeFor(ctx).deleteInferenceComponent(componentName(read(raw)));
    return {};
  },
  ListInferenceComponents(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const filters = listFilters(input);
    const status = input.string('StatusEquals', { oneOf: INFERENCE_COMPONENT_STATUSES });
    const endpoint = input.string('EndpointNameEquals', { max: 63 })?.toLowerCase();
    const variant = input.string('VariantNameEquals', { max: 63 });
    const components = storeFor(ctx)
      .listInferenceComponents()
      .filter(
        (c) =>
          matches(filters, c) &&
          (status === undefined || c.status === status) &&
          (endpoint === undefined || c.endpointName.toLowerCase() === endpoint) &&
          (variant === undefined || c.variantName === variant),
      );
    const { page, nextToken } = pageOf(components, (c) => sortKey(filters.sortBy, c), filters);
    return { InferenceComponents: page.map(inferenceComponentSummary), NextToken: nextToken };
  },

  AddTags(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const arn = resourceArn(input);
    input.array('Tags', { required: true, max: 50 });
    return { Tags: storeFor(ctx).addTags(arn, tagsOf(input) ?? []) };
  },
  DeleteTags(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const arn = resourceArn(input);
    storeFor(ctx).deleteTags(arn, input.strings('TagKeys', { required: true, min: 1, max: 50 })!);
    return {};
  },
  /** MaxResults has a minimum of 50 (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListTags.html). */
  ListTags(raw: Record<string, unknown>, ctx: CallContext) {
    const input = read(raw);
    const arn = resourceArn(input);
    const max = input.number('MaxResults', { integer: true, min: 50 }) ?? 50;
    const token = decodeToken<{ offset: number; arn: string }>(input.string('NextToken', { max: 8192 }));
    if (token !== undefined && (typeof token.offset !== 'number' || token.arn !== arn.toLowerCase()))
      throw new SimError('ValidationException', 'Invalid pagination token.');
    const tags = storeFor(ctx).listTags(arn);
    const offset = token?.offset ?? 0;
    const page = tags.slice(offset, offset + max);
    return { Tags: page, NextToken: offset + max < tags.length ? encodeToken({ offset: offset + max, arn: arn.toLowerCase() }) : undefined };
  },
};

export function sagemakerService(): SimService {
  return jsonService({ signingName: 'sagemaker', targetPrefix: 'SageMaker', version: '1.1', operations: sagemakerOperations });
}

import { createHash } from 'node:crypto';
import { SimError } from '../../protocol.ts';
import type { World } from '../../world.ts';
import { clone } from './input.ts';
import { settleComponent, settleEndpoint } from './lifecycle.ts';
import { validateEndpointConfigSpec, validateModelSpec } from './rules.ts';
import { tagging } from './tags.ts';
import {
  sagemakerArn,
  type DeployedImage,
  type EndpointConfigRecord,
  type EndpointRecord,
  type EndpointStatus,
  type InferenceComponentRecord,
  type InferenceComponentStatus,
  type ModelRecord,
  type SageMakerState,
  type Tag,
  type VariantState,
} from './model.ts';

export * from './model.ts';

/** Per-world SageMaker behaviour. Tests shorten the delay; the demo keeps a visible one. */
export interface SageMakerSettings {
  /** How long Creating -> InService and Deleting -> gone take (endpoints and inference components). */
  transitionDelayMs: number;
}

export const DEFAULT_TRANSITION_DELAY_MS = 300;

export function sagemakerSettings(world: World): SageMakerSettings {
  return world.global<SageMakerSettings>('sagemaker:settings', () => ({ transitionDelayMs: DEFAULT_TRANSITION_DELAY_MS }));
}

/** Options for seeding resources as if they had existed for a while (scenarios, tests). */
export interface SeedTimes {
  creationTime?: Date;
  lastModifiedTime?: Date;
}

export interface SeedEndpointOptions extends SeedTimes {
  /** Default: Creating, becoming InService after the transition delay (what CreateEndpoint does). */
  status?: EndpointStatus;
  failureReason?: string;
  /** Per variant name: instances running now (auto scaling may have moved them off the config's initial count). */
  currentInstanceCounts?: Record<string, number>;
}

export interface SeedInferenceComponentOptions extends SeedTimes {
  status?: InferenceComponentStatus;
}

export type SageMakerStore = ReturnType<typeof sagemakerStore>;

/**
 * The SageMaker state of one account and region, with AWS's rules. The wire handlers and the scenario
 * loader both go through it, so a seeded endpoint is indistinguishable from one created over the API.
 * Throws SimError with AWS's codes and messages.
 */
export function sagemakerStore(world: World, accountId: string, region: string) {
  const state = world.regional<SageMakerState>('sagemaker', accountId, region, () => ({
    models: new Map(),
    endpointConfigs: new Map(),
    endpoints: new Map(),
    inferenceComponents: new Map(),
    tags: new Map(),
  }));
  const settings = sagemakerSettings(world);
  const arn = (kind: Parameters<typeof sagemakerArn>[2], name: string) => sagemakerArn(region, accountId, kind, name);
  const key = (name: string) => name.toLowerCase();
  const notFound = (what: string, kind: Parameters<typeof sagemakerArn>[2], name: string) =>
    new SimError('ValidationException', `Could not find ${what} "${arn(kind, name)}".`);

  const settle = (record: EndpointRecord) => settleEndpoint(state, world, record);
  const settleIc = (record: InferenceComponentRecord) => settleComponent(state, world, record);
  const tags = tagging(state, world, accountId, region);

  function deployedImages(modelName: string | undefined, at: Date): DeployedImage[] {
    const model = modelName ? state.models.get(key(modelName)) : undefined;
    if (!model) return [];
    const containers =
      (model.spec.Containers as Record<string, unknown>[] | undefined) ??
      (model.spec.PrimaryContainer ? [model.spec.PrimaryContainer as Record<string, unknown>] : []);
    return containers
      .map((c) => c.Image)
      .filter((image): image is string => typeof image === 'string')
      .map((image) => ({
        SpecifiedImage: image,
        ResolvedImage: `${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`,
        ResolutionTime: at,
      }));
  }

  const store = {
    accountId,
    region,
    state,
    arn,

    createModel(input: Record<string, unknown> & { ModelName: string; Tags?: Tag[] }, times: SeedTimes = {}): ModelRecord {
      const { ModelName: name, Tags: modelTags, ...spec } = clone(input);
      if (state.models.has(key(name))) throw new SimError('ValidationException', `Cannot create already existing model "${arn('model', name)}".`);
      validateModelSpec(spec);
      const record: ModelRecord = { name, arn: arn('model', name), creationTime: times.creationTime ?? world.now(), spec };
      tags.setInitialTags(record.arn, modelTags);
      state.models.set(key(name), record);
      return record;
    },
    getModel: (name: string): ModelRecord | undefined => state.models.get(key(name)),
    requireModel(name: string): ModelRecord {
      const model = state.models.get(key(name));
      if (!model) throw notFound('model', 'model', name);
      return model;
    },
    deleteModel(name: string): void {
      const model = store.requireModel(name);
      state.models.delete(key(name));
      state.tags.delete(model.arn);
    },

    createEndpointConfig(input: Record<string, unknown> & { EndpointConfigName: string; Tags?: Tag[] }, times: SeedTimes = {}): EndpointConfigRecord {
      const { EndpointConfigName: name, Tags: configTags, ...rest } = clone(input);
      if (state.endpointConfigs.has(key(name)))
        throw new SimError('ValidationException', `Cannot create already existing endpoint configuration "${arn('endpoint-config', name)}".`);
      const spec = validateEndpointConfigSpec(rest, (model) => {
        if (!state.models.has(key(model))) throw notFound('model', 'model', model);
      });
      const record: EndpointConfigRecord = { name, arn: arn('endpoint-config', name), creationTime: times.creationTime ?? world.now(), spec };
      tags.setInitialTags(record.arn, configTags);
      state.endpointConfigs.set(key(name), record);
      return record;
    },
    getEndpointConfig: (name: string): EndpointConfigRecord | undefined => state.endpointConfigs.get(key(name)),
    listEndpointConfigs: (): EndpointConfigRecord[] => [...state.endpointConfigs.values()],
    requireEndpointConfig(name: string): EndpointConfigRecord {
      const config = state.endpointConfigs.get(key(name));
      if (!config) throw notFound('endpoint configuration', 'endpoint-config', name);
      return config;
    },
    /** AWS allows deleting a config that a running endpoint uses; the endpoint keeps what it deployed. */
    deleteEndpointConfig(name: string): void {
      const config = store.requireEndpointConfig(name);
      state.endpointConfigs.delete(key(name));
      state.tags.delete(config.arn);
    },

    createEndpoint(input: { EndpointName: string; EndpointConfigName: string; Tags?: Tag[] }, options: SeedEndpointOptions = {}): EndpointRecord {
      const name = input.EndpointName;
      const existing = state.endpoints.get(key(name));
      if (existing && settle(existing)) throw new SimError('ValidationException', `Cannot create already existing endpoint "${arn('endpoint', name)}".`);
      const config = store.requireEndpointConfig(input.EndpointConfigName);
      const creationTime = options.creationTime ?? world.now();
      const status = options.status ?? 'Creating';
      const deployedConfig = clone(config.spec);
      const variants: VariantState[] = deployedConfig.ProductionVariants.map((spec) => {
        const desired = spec.ServerlessConfig ? undefined : (spec.InitialInstanceCount ?? spec.ManagedInstanceScaling?.MinInstanceCount ?? 1);
        const seeded = options.currentInstanceCounts?.[spec.VariantName];
        return {
          spec,
          desiredInstanceCount: seeded ?? desired,
          currentInstanceCount: status === 'Creating' ? (desired === undefined ? undefined : 0) : (seeded ?? desired),
          currentWeight: spec.InitialVariantWeight ?? 1,
          desiredWeight: spec.InitialVariantWeight ?? 1,
          deployedImages: deployedImages(spec.ModelName, creationTime),
        };
      });
      const record: EndpointRecord = {
        name,
        arn: arn('endpoint', name),
        configName: config.name,
        status,
        failureReason: options.failureReason,
        creationTime,
        lastModifiedTime: options.lastModifiedTime ?? creationTime,
        variants,
        deployedConfig,
        transitionAt: status === 'Creating' && options.status === undefined ? Date.now() + settings.transitionDelayMs : undefined,
      };
      tags.setInitialTags(record.arn, input.Tags);
      state.endpoints.set(key(name), record);
      return record;
    },
    getEndpoint(name: string): EndpointRecord | undefined {
      const record = state.endpoints.get(key(name));
      return record && settle(record);
    },
    requireEndpoint(name: string): EndpointRecord {
      const record = store.getEndpoint(name);
      if (!record) throw notFound('endpoint', 'endpoint', name);
      return record;
    },
    listEndpoints(): EndpointRecord[] {
      return [...state.endpoints.values()].map(settle).filter((e): e is EndpointRecord => e !== undefined);
    },
    /**
     * Starts Deleting; the endpoint disappears after the transition delay. Like the console, AWS needs the
     * inference components gone first (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-delete-resources.html).
     * Deleting an endpoint that is already Deleting is accepted and changes nothing.
     */
    deleteEndpoint(name: string): void {
      const record = store.requireEndpoint(name);
      if (record.status === 'Deleting') return;
      const components = store.listInferenceComponents().filter((c) => key(c.endpointName) === key(name));
      if (components.length > 0) {
        throw new SimError(
          'ValidationException',
          `Endpoint "${record.arn}" has ${components.length} inference component(s) (${components.map((c) => c.name).join(', ')}). Delete the inference components before deleting the endpoint.`,
        );
      }
      record.status = 'Deleting';
      record.lastModifiedTime = world.now();
      record.transitionAt = Date.now() + settings.transitionDelayMs;
    },
    /**
     * Reschedules every pending Creating/Deleting transition to complete `afterMs` from now (default: now),
     * so tests can hold a resource in a transitional state as long as they need, then let it finish.
     */
    completePendingTransitions(afterMs = 0): void {
      for (const record of [...state.endpoints.values(), ...state.inferenceComponents.values()])
        if (record.transitionAt !== undefined) record.transitionAt = Date.now() + afterMs;
      store.listEndpoints();
      store.listInferenceComponents();
    },
    /** Simulates auto scaling moving a variant (tests and scenarios). */
    setInstanceCount(endpointName: string, variantName: string, count: number): void {
      const variant = store.requireEndpoint(endpointName).variants.find((v) => v.spec.VariantName === variantName);
      if (!variant) throw new SimError('ValidationException', `The variant ${variantName} does not exist on endpoint ${endpointName}.`);
      variant.currentInstanceCount = count;
      variant.desiredInstanceCount = count;
    },

    createInferenceComponent(
      input: {
        InferenceComponentName: string;
        EndpointName: string;
        VariantName?: string;
        Specification?: Record<string, unknown>;
        RuntimeConfig?: { CopyCount: number };
        Tags?: Tag[];
      },
      options: SeedInferenceComponentOptions = {},
    ): InferenceComponentRecord {
      const name = input.InferenceComponentName;
      const existing = state.inferenceComponents.get(key(name));
      if (existing && settleIc(existing))
        throw new SimError('ValidationException', `Cannot create already existing inference component "${arn('inference-component', name)}".`);
      const endpoint = store.requireEndpoint(input.EndpointName);
      if (endpoint.deployedConfig.ExecutionRoleArn === undefined || endpoint.variants.some((v) => v.spec.ModelName !== undefined)) {
        throw new SimError(
          'ValidationException',
          `Endpoint "${endpoint.arn}" does not support inference components: its endpoint configuration must set ExecutionRoleArn and omit ModelName from its production variants.`,
        );
      }
      if (options.status === undefined && endpoint.status !== 'InService')
        throw new SimError('ValidationException', `Endpoint "${endpoint.arn}" is not in InService status (it is ${endpoint.status}).`);
      const variantName = input.VariantName ?? endpoint.variants[0]!.spec.VariantName;
      if (!endpoint.variants.some((v) => v.spec.VariantName === variantName))
        throw new SimError('ValidationException', `Could not find variant "${variantName}" on endpoint "${endpoint.arn}".`);
      const specification = clone(input.Specification ?? {});
      const modelName = specification.ModelName;
      if (typeof modelName === 'string' && !state.models.has(key(modelName))) throw notFound('model', 'model', modelName);
      const copies = input.RuntimeConfig?.CopyCount;
      if (copies === undefined)
        throw new SimError(
          'ValidationException',
          "1 validation error detected: Value null at 'runtimeConfig' failed to satisfy constraint: Member must not be null",
        );
      const creationTime = options.creationTime ?? world.now();
      const status = options.status ?? 'Creating';
      const record: InferenceComponentRecord = {
        name,
        arn: arn('inference-component', name),
        endpointName: endpoint.name,
        endpointArn: endpoint.arn,
        variantName,
        status,
        creationTime,
        lastModifiedTime: options.lastModifiedTime ?? creationTime,
        specification,
        desiredCopyCount: copies,
        currentCopyCount: status === 'Creating' ? 0 : copies,
        transitionAt: status === 'Creating' && options.status === undefined ? Date.now() + settings.transitionDelayMs : undefined,
      };
      tags.setInitialTags(record.arn, input.Tags);
      state.inferenceComponents.set(key(name), record);
      return record;
    },
    getInferenceComponent(name: string): InferenceComponentRecord | undefined {
      const record = state.inferenceComponents.get(key(name));
      return record && settleIc(record);
    },
    requireInferenceComponent(name: string): InferenceComponentRecord {
      const record = store.getInferenceComponent(name);
      if (!record) throw notFound('inference component', 'inference-component', name);
      return record;
    },
    listInferenceComponents(): InferenceComponentRecord[] {
      return [...state.inferenceComponents.values()].map(settleIc).filter((c): c is InferenceComponentRecord => c !== undefined);
    },
    deleteInferenceComponent(name: string): void {
      const record = store.requireInferenceComponent(name);
      if (record.status === 'Deleting') return;
      record.status = 'Deleting';
      record.lastModifiedTime = world.now();
      record.transitionAt = Date.now() + settings.transitionDelayMs;
    },

    ...tags,
  };
  return store;
}

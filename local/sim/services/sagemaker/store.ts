import { createHash } from 'node:crypto';
import { SimError } from '../../protocol.ts';
import type { World } from '../../world.ts';
import { clone } from './input.ts';
import { validateEndpointConfigSpec, validateModelSpec, validateTags } from './rules.ts';
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
  const notFound = (what: string, kind: Parameters<typeof sagemakerArn>[2], name: string) => new SimError('ValidationException', `Could not find ${what} "${arn(kind, name)}".`);

  /** Applies transitions whose time has come (lazily, so no timers keep a process alive). */
  function settleEndpoint(record: EndpointRecord): EndpointRecord | undefined {
    if (record.transitionAt === undefined || Date.now() < record.transitionAt) return record;
    record.transitionAt = undefined;
    if (record.status === 'Creating') {
      record.status = 'InService';
      record.lastModifiedTime = world.now();
      for (const variant of record.variants) variant.currentInstanceCount = variant.desiredInstanceCount;
      return record;
    }
    if (record.status === 'Deleting') {
      state.endpoints.delete(key(record.name));
      state.tags.delete(record.arn);
      return undefined;
    }
    return record;
  }

  function settleComponent(record: InferenceComponentRecord): InferenceComponentRecord | undefined {
    if (record.transitionAt === undefined || Date.now() < record.transitionAt) return record;
    record.transitionAt = undefined;
    if (record.status === 'Creating') {
      record.status = 'InService';
      record.currentCopyCount = record.desiredCopyCount;
      record.lastModifiedTime = world.now();
      return record;
    }
    if (record.status === 'Deleting') {
      state.inferenceComponents.delete(key(record.name));
      state.tags.delete(record.arn);
      return undefined;
    }
    return record;
  }

  function resourceExists(resourceArn: string): boolean {
    const lower = resourceArn.toLowerCase();
    const prefix = `arn:aws:sagemaker:${region}:${accountId}:`;
    if (!lower.startsWith(prefix)) return false;
    const [kind, ...rest] = lower.slice(prefix.length).split('/');
    const name = rest.join('/');
    switch (kind) {
      case 'model':
        return state.models.has(name);
      case 'endpoint-config':
        return state.endpointConfigs.has(name);
      case 'endpoint': {
        const record = state.endpoints.get(name);
        return record !== undefined && settleEndpoint(record) !== undefined;
      }
      case 'inference-component': {
        const record = state.inferenceComponents.get(name);
        return record !== undefined && settleComponent(record) !== undefined;
      }
      default:
        return false;
    }
  }

  function storeTags(resourceArn: string, tags: Tag[] | undefined): void {
    if (!tags || tags.length === 0) return;
    validateTags(tags, 0);
    state.tags.set(resourceArn.toLowerCase(), new Map(tags.map((t) => [t.Key, t.Value])));
  }

  function deployedImages(modelName: string | undefined, at: Date): DeployedImage[] {
    const model = modelName ? state.models.get(key(modelName)) : undefined;
    if (!model) return [];
    const containers = (model.spec.Containers as Record<string, unknown>[] | undefined) ?? (model.spec.PrimaryContainer ? [model.spec.PrimaryContainer as Record<string, unknown>] : []);
    return containers
      .map((c) => c.Image)
      .filter((image): image is string => typeof image === 'string')
      .map((image) => ({ SpecifiedImage: image, ResolvedImage: `${image.split(':')[0]}@sha256:${createHash('sha256').update(image).digest('hex')}`, ResolutionTime: at }));
  }

  return {
    accountId,
    region,
    state,
    arn,

    createModel(input: Record<string, unknown> & { ModelName: string; Tags?: Tag[] }, times: SeedTimes = {}): ModelRecord {
      const { ModelName: name, Tags: tags, ...spec } = clone(input);
      if (state.models.has(key(name))) throw new SimError('ValidationException', `Cannot create already existing model "${arn('model', name)}".`);
      validateModelSpec(spec);
      const record: ModelRecord = { name, arn: arn('model', name), creationTime: times.creationTime ?? world.now(), spec };
      storeTags(record.arn, tags);
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
      const model = this.requireModel(name);
      state.models.delete(key(name));
      state.tags.delete(model.arn);
    },

    createEndpointConfig(input: Record<string, unknown> & { EndpointConfigName: string; Tags?: Tag[] }, times: SeedTimes = {}): EndpointConfigRecord {
      const { EndpointConfigName: name, Tags: tags, ...rest } = clone(input);
      if (state.endpointConfigs.has(key(name))) throw new SimError('ValidationException', `Cannot create already existing endpoint configuration "${arn('endpoint-config', name)}".`);
      const spec = validateEndpointConfigSpec(rest, (model) => {
        if (!state.models.has(key(model))) throw notFound('model', 'model', model);
      });
      const record: EndpointConfigRecord = { name, arn: arn('endpoint-config', name), creationTime: times.creationTime ?? world.now(), spec };
      storeTags(record.arn, tags);
      state.endpointConfigs.set(key(name), record);
      return record;
    },
    getEndpointConfig: (name: string): EndpointConfigRecord | undefined => state.endpointConfigs.get(key(name)),
    requireEndpointConfig(name: string): EndpointConfigRecord {
      const config = state.endpointConfigs.get(key(name));
      if (!config) throw notFound('endpoint configuration', 'endpoint-config', name);
      return config;
    },
    /** AWS allows deleting a config that a running endpoint uses; the endpoint keeps what it deployed. */
    deleteEndpointConfig(name: string): void {
      const config = this.requireEndpointConfig(name);
      state.endpointConfigs.delete(key(name));
      state.tags.delete(config.arn);
    },

    createEndpoint(input: { EndpointName: string; EndpointConfigName: string; Tags?: Tag[] }, options: SeedEndpointOptions = {}): EndpointRecord {
      const name = input.EndpointName;
      const existing = state.endpoints.get(key(name));
      if (existing && settleEndpoint(existing)) throw new SimError('ValidationException', `Cannot create already existing endpoint "${arn('endpoint', name)}".`);
      const config = this.requireEndpointConfig(input.EndpointConfigName);
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
      state.tags.delete(record.arn);
      storeTags(record.arn, input.Tags);
      state.endpoints.set(key(name), record);
      return record;
    },
    getEndpoint(name: string): EndpointRecord | undefined {
      const record = state.endpoints.get(key(name));
      return record && settleEndpoint(record);
    },
    requireEndpoint(name: string): EndpointRecord {
      const record = this.getEndpoint(name);
      if (!record) throw notFound('endpoint', 'endpoint', name);
      return record;
    },
    listEndpoints(): EndpointRecord[] {
      return [...state.endpoints.values()].map(settleEndpoint).filter((e): e is EndpointRecord => e !== undefined);
    },
    /**
     * Starts Deleting; the endpoint disappears after the transition delay. Like the console, AWS needs the
     * inference components gone first (https://docs.aws.amazon.com/sagemaker/latest/dg/realtime-endpoints-delete-resources.html).
     * Deleting an endpoint that is already Deleting is accepted and changes nothing.
     */
    deleteEndpoint(name: string): void {
      const record = this.requireEndpoint(name);
      if (record.status === 'Deleting') return;
      const components = this.listInferenceComponents().filter((c) => key(c.endpointName) === key(name));
      if (components.length > 0) {
        throw new SimError('ValidationException', `Endpoint "${record.arn}" has ${components.length} inference component(s) (${components.map((c) => c.name).join(', ')}). Delete the inference components before deleting the endpoint.`);
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
      for (const record of [...state.endpoints.values(), ...state.inferenceComponents.values()]) if (record.transitionAt !== undefined) record.transitionAt = Date.now() + afterMs;
      this.listEndpoints();
      this.listInferenceComponents();
    },
    /** Simulates auto scaling moving a variant (tests and scenarios). */
    setInstanceCount(endpointName: string, variantName: string, count: number): void {
      const variant = this.requireEndpoint(endpointName).variants.find((v) => v.spec.VariantName === variantName);
      if (!variant) throw new SimError('ValidationException', `The variant ${variantName} does not exist on endpoint ${endpointName}.`);
      variant.currentInstanceCount = count;
      variant.desiredInstanceCount = count;
    },

    createInferenceComponent(
      input: { InferenceComponentName: string; EndpointName: string; VariantName?: string; Specification?: Record<string, unknown>; RuntimeConfig?: { CopyCount: number }; Tags?: Tag[] },
      options: SeedInferenceComponentOptions = {},
    ): InferenceComponentRecord {
      const name = input.InferenceComponentName;
      const existing = state.inferenceComponents.get(key(name));
      if (existing && settleComponent(existing)) throw new SimError('ValidationException', `Cannot create already existing inference component "${arn('inference-component', name)}".`);
      const endpoint = this.requireEndpoint(input.EndpointName);
      if (endpoint.deployedConfig.ExecutionRoleArn === undefined || endpoint.variants.some((v) => v.spec.ModelName !== undefined)) {
        throw new SimError('ValidationException', `Endpoint "${endpoint.arn}" does not support inference components: its endpoint configuration must set ExecutionRoleArn and omit ModelName from its production variants.`);
      }
      if (options.status === undefined && endpoint.status !== 'InService') throw new SimError('ValidationException', `Endpoint "${endpoint.arn}" is not in InService status (it is ${endpoint.status}).`);
      const variantName = input.VariantName ?? endpoint.variants[0]!.spec.VariantName;
      if (!endpoint.variants.some((v) => v.spec.VariantName === variantName)) throw new SimError('ValidationException', `Could not find variant "${variantName}" on endpoint "${endpoint.arn}".`);
      const specification = clone(input.Specification ?? {});
      const modelName = specification.ModelName;
      if (typeof modelName === 'string' && !state.models.has(key(modelName))) throw notFound('model', 'model', modelName);
      const copies = input.RuntimeConfig?.CopyCount;
      if (copies === undefined) throw new SimError('ValidationException', "1 validation error detected: Value null at 'runtimeConfig' failed to satisfy constraint: Member must not be null");
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
      state.tags.delete(record.arn);
      storeTags(record.arn, input.Tags);
      state.inferenceComponents.set(key(name), record);
      return record;
    },
    getInferenceComponent(name: string): InferenceComponentRecord | undefined {
      const record = state.inferenceComponents.get(key(name));
      return record && settleComponent(record);
    },
    requireInferenceComponent(name: string): InferenceComponentRecord {
      const record = this.getInferenceComponent(name);
      if (!record) throw notFound('inference component', 'inference-component', name);
      return record;
    },
    listInferenceComponents(): InferenceComponentRecord[] {
      return [...state.inferenceComponents.values()].map(settleComponent).filter((c): c is InferenceComponentRecord => c !== undefined);
    },
    deleteInferenceComponent(name: string): void {
      const record = this.requireInferenceComponent(name);
      if (record.status === 'Deleting') return;
      record.status = 'Deleting';
      record.lastModifiedTime = world.now();
      record.transitionAt = Date.now() + settings.transitionDelayMs;
    },

    resourceExists,
    /** AddTags: overwrites values of existing keys; at most 50 tags per resource. */
    addTags(resourceArn: string, tags: Tag[]): Tag[] {
      if (!resourceExists(resourceArn)) throw new SimError('ValidationException', `Resource "${resourceArn}" does not exist.`);
      const current = state.tags.get(resourceArn.toLowerCase()) ?? new Map<string, string>();
      validateTags(tags, [...current.keys()].filter((k) => !tags.some((t) => t.Key === k)).length);
      for (const tag of tags) current.set(tag.Key, tag.Value);
      state.tags.set(resourceArn.toLowerCase(), current);
      return clone(tags);
    },
    deleteTags(resourceArn: string, keys: string[]): void {
      if (!resourceExists(resourceArn)) throw new SimError('ValidationException', `Resource "${resourceArn}" does not exist.`);
      const current = state.tags.get(resourceArn.toLowerCase());
      for (const k of keys) current?.delete(k);
    },
    listTags(resourceArn: string): Tag[] {
      if (!resourceExists(resourceArn)) throw new SimError('ValidationException', `Resource "${resourceArn}" does not exist.`);
      return [...(state.tags.get(resourceArn.toLowerCase()) ?? new Map<string, string>())].map(([Key, Value]) => ({ Key, Value }));
    },
    /** Tags as a plain record, for tests and seeding ({} when none or the resource is gone). */
    tagsOf(resourceArn: string): Record<string, string> {
      return Object.fromEntries(state.tags.get(resourceArn.toLowerCase()) ?? []);
    },
  };
}

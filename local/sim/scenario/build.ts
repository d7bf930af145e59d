import { fromZodError } from '../../../src/core/errors.ts';
import { sagemakerSettings } from '../services/sagemaker/store.ts';
import { s3Store } from '../services/s3/store.ts';
import { World, type SimAccount, type SimRole } from '../world.ts';
import { artifactBody } from './artifacts.ts';
import { seedEndpoint } from './endpoints.ts';
import { ScenarioSchema, type Scenario, type ScenarioInput } from './schema.ts';
import type { ThrottlingOptions } from '../traffic.ts';

const DAY_MS = 86_400_000;

/** Parses a scenario; a bad one throws InputValidationError naming the field (`endpoints.3.variants.0.instanceType: ...`). */
export function parseScenario(input: unknown, what = 'scenario'): Scenario {
  const result = ScenarioSchema.safeParse(input);
  if (!result.success) throw fromZodError(result.error, what);
  return result.data;
}

export interface BuildOptions {
  /** Seed for synthetic artifact content (default 1). */
  seed?: number;
  /**
   * The instant relative times count back from (default: the real now). The world's clock starts there
   * and advances in real time, so a fixed `now` gives identical timestamps on every build.
   */
  now?: Date;
}

/**
 * Builds the simulated organization a scenario describes: OUs, accounts and their roles, S3 buckets and
 * artifacts, and per account-region the SageMaker resources, CloudWatch histories and auto scaling
 * targets. The result is handed to startSimulator({ world }).
 */
export function buildWorld(input: ScenarioInput | Scenario, options: BuildOptions = {}): World {
  const scenario = parseScenario(input);
  const org = scenario.organization;
  const anchor = options.now?.getTime();
  const startedAt = Date.now();
  const now = anchor === undefined ? () => new Date() : () => new Date(anchor + (Date.now() - startedAt));
  const world = new World(org.id, org.managementAccountId, org.rootId, org.homeRegion, now);
  // Relative times count back from exactly `now` when given, however long the build takes.
  const builtAt = anchor ?? world.now().getTime();
  sagemakerSettings(world).transitionDelayMs = scenario.settings.transitionDelayMs;

  for (const ou of scenario.ous) world.ous.set(ou.id, { id: ou.id, name: ou.name, parentId: ou.parent ?? org.rootId });

  const accounts = scenario.accounts.some((a) => a.id === org.managementAccountId)
    ? scenario.accounts
    : [
        { id: org.managementAccountId, name: 'management', status: 'ACTIVE' as const, memberRole: true, otherRoles: [], joinedDaysAgo: 1000 },
        ...scenario.accounts,
      ];
  for (const account of accounts) {
    const roles = new Map<string, SimRole>();
    if (account.memberRole !== false) {
      const member = account.memberRole === true ? {} : account.memberRole;
      const name = member.name ?? scenario.memberRoleName;
      roles.set(name, { name, ...(member.externalId ? { externalId: member.externalId } : {}) });
    }
    for (const role of account.otherRoles) roles.set(role.name, { ...role });
    const simAccount: SimAccount = {
      id: account.id,
      name: account.name,
      email: 'email' in account && account.email ? account.email : `aws+${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@example.com`,
      status: account.status,
      parentId: 'ou' in account && account.ou ? account.ou : org.rootId,
      joinedAt: new Date(builtAt - account.joinedDaysAgo * DAY_MS),
      enabledRegions: [...('regions' in account && account.regions ? account.regions : [org.homeRegion])],
      roles,
    };
    world.accounts.set(account.id, simAccount);
  }

  const s3 = s3Store(world);
  const seed = options.seed ?? 1;
  for (const bucket of scenario.buckets) {
    s3.createBucket(bucket.name, { ownerAccountId: bucket.account, region: bucket.region, objectLockEnabled: bucket.objectLock });
    for (const object of bucket.objects)
      s3.putObject(bucket.name, object.key, object.content ?? artifactBody(`s3://${bucket.name}/${object.key}`, object.size, seed));
  }

  scenario.endpoints.forEach((endpoint, index) => {
    try {
      seedEndpoint(world, endpoint, { now: builtAt, seed });
    } catch (error) {
      throw new Error(
        `scenario ${scenario.name}: endpoints.${index} (${endpoint.name} in ${endpoint.account}/${endpoint.region}): ${(error as Error).message}`,
        { cause: error },
      );
    }
  });
  return world;
}

/** The simulator options a scenario asks for (latency, throttling), for startSimulator. */
export function scenarioSimulatorOptions(input: ScenarioInput | Scenario): { latencyMs: number; throttling?: ThrottlingOptions } {
  const { settings } = parseScenario(input);
  return { latencyMs: settings.latencyMs, ...(settings.throttling ? { throttling: { enabled: true } } : {}) };
}

/**
 * The simulated AWS organization, for tests, the demo and `npm run sim`: start it in-process from a
 * scenario, read and seed its stores directly.
 */
import { startSimulator, type Simulator } from './server.ts';
import type { ThrottlingOptions } from './traffic.ts';
import { buildWorld, loadScenario, scenarioSimulatorOptions, type Scenario, type ScenarioInput } from './scenario/index.ts';

export { startSimulator, SIM_ADMIN_CREDENTIALS, type Simulator, type SimulatorOptions, type WebRoute } from './server.ts';
export { World, type SimAccount, type SimOu, type SimRole, type IssuedCredential, type Caller, type AccountStatus } from './world.ts';
export { Ledger, type LedgerEntry, type LedgerFilter } from './ledger.ts';
export { Traffic, AWS_LIKE_RATE_LIMITS, type ThrottlingOptions, type FaultRule, type RateLimit } from './traffic.ts';
export { SimError, type SimService, type CallContext } from './protocol.ts';
export { snsOutbox, snsStore, type OutboxMessage, type SnsOutbox } from './services/sns.ts';
export { kmsStore, type SimKmsKey } from './services/kms.ts';
export { sagemakerStore, sagemakerSettings } from './services/sagemaker/store.ts';
export { metricStore } from './services/cloudwatch/store.ts';
export { s3Store } from './services/s3/store.ts';
export { scalingStore } from './services/autoscaling.ts';
export { organizationsAdminStore } from './services/organizations.ts';
export { cloudFormationStore, type SimStack, type SimStackSet } from './services/cloudformation.ts';
export { apiGatewayStore } from './services/apigateway.ts';
export { secretsManagerStore } from './services/secretsmanager.ts';
export { loadScenario, buildWorld, demoScenario, generateOrg, type Scenario, type ScenarioInput } from './scenario/index.ts';

export interface ScenarioSimulatorOptions {
  /** `demo` (default), another built-in name, a scenario file path, or a scenario object. */
  scenario?: string | Scenario | ScenarioInput;
  seed?: number;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default: the scenario's settings. */
  latencyMs?: number;
  /** Default: the scenario's settings. */
  throttling?: ThrottlingOptions;
}

export async function startScenarioSimulator(options: ScenarioSimulatorOptions = {}): Promise<Simulator> {
  const scenario = typeof options.scenario === 'object' ? options.scenario : loadScenario(options.scenario ?? 'demo', { seed: options.seed });
  const world = buildWorld(scenario, { seed: options.seed });
  const settings = scenarioSimulatorOptions(scenario);
  return startSimulator({
    world,
    port: options.port ?? 0,
    latencyMs: options.latencyMs ?? settings.latencyMs,
    throttling: options.throttling ?? settings.throttling,
  });
}

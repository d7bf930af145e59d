/**
 * Scenarios: the declarative description of a simulated organization, its loader, the built-in demo
 * and the large-organization generator. See docs/simulator/scenarios.md.
 */
export {
  ScenarioSchema,
  type Scenario,
  type ScenarioInput,
  type EndpointSpec,
  type VariantSpec,
  type ModelSpec,
  type ArtifactSpec,
  type HistoryEntry,
} from './schema.ts';
export { buildWorld, parseScenario, scenarioSimulatorOptions, type BuildOptions } from './build.ts';
export { loadScenario, BUILT_IN_SCENARIOS } from './load.ts';
export { demoScenario, DEMO_ACCOUNTS } from './demo.ts';
export { generateOrg, type GenerateOptions } from './generate.ts';
export { historyPoints, SAGEMAKER_NAMESPACE } from './endpoints.ts';

/**
 * `npm run bench:sweep` (tsx bench/sweep.ts): a whole cleanup sweep of a generated organization
 * through the real statemachine/sweep.asl.json and the local runner with Step Functions' and
 * Lambda's quotas enforced, auto-approved. Prints what it did, what it used in AWS's billing units,
 * and what it would cost on AWS; `--json` adds one JSON object as the last line.
 *
 *   npm run bench:sweep -- --accounts 1000 --regions us-east-1,us-west-2,eu-west-1,ap-southeast-2 \
 *     --endpoints-per-region 10 --latency 30 --throttling --zombie-fraction 0.1 --json
 */
import '../src/core/polyfills.ts';
import { parseArgs } from 'node:util';
import { FUNCTION_SPECS } from '../infra/hub/functions.ts';
import { WORKFLOW_FUNCTIONS, type WorkflowFunction } from '../src/core/functions.ts';
import { PRICES, runScaleSweep } from './sweep-run.ts';

const { values } = parseArgs({
  options: {
    accounts: { type: 'string', default: '25' },
    regions: { type: 'string', default: 'us-east-1,us-west-2,eu-west-1,ap-southeast-2' },
    'endpoints-per-region': { type: 'string', default: '10' },
    'zombie-fraction': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '7' },
    latency: { type: 'string', default: '0' },
    throttling: { type: 'boolean', default: false },
    'action-concurrency': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

// The deployed memory sizes, so Lambda GB-seconds are what AWS would bill.
const lambdaMemoryMb = Object.fromEntries(WORKFLOW_FUNCTIONS.map((name) => [name, FUNCTION_SPECS[name].memoryMb])) as Record<WorkflowFunction, number>;
const log = (line: string) => console.log(line);

const result = await runScaleSweep({
  accounts: Number(values.accounts),
  regions: values.regions.split(','),
  endpointsPerRegion: Number(values['endpoints-per-region']),
  zombieFraction: Number(values['zombie-fraction']),
  seed: Number(values.seed),
  latencyMs: Number(values.latency),
  throttling: values.throttling,
  lambdaMemoryMb,
  ...(values['action-concurrency'] ? { settings: { ActionMaxConcurrency: values['action-concurrency'] } } : {}),
  progress: log,
});

const { usage, cost } = result;
const usd = (n: number) => `$${n.toFixed(4)}`;
log(`sweep          ${result.status}${result.error ? ` ${result.error}: ${result.cause}` : ''}`);
log(`endpoints      ${result.endpoints} in ${result.targets} targets`);
log(
  `candidates     ${result.candidates} (the generator made ${result.expectedZombies} zombies), deleted ${result.deleted}, still deleting ${result.deleting}, skipped ${result.skipped.length}`,
);
for (const skip of result.skipped.slice(0, 5)) log(`  skipped ${skip.endpointName}: ${skip.reason}`);
log(
  `wall time      ${result.seconds.toFixed(1)} s: ${result.phases
    .filter(([, s]) => s >= 0.5)
    .map(([name, s]) => `${name} ${s.toFixed(1)} s`)
    .join(', ')}`,
);
log(
  `transitions    ${usage.transitions} Standard state transitions in ${usage.standardExecutions} Standard executions; ${usage.expressRequests} Express requests (${usage.expressGbSeconds.toFixed(2)} GB-s)`,
);
log(`lambda         ${usage.lambdaRequests} requests, ${usage.lambdaGbSeconds.toFixed(1)} GB-s (measured in-process: an upper bound, see docs/performance.md)`);
for (const [name, gbs] of Object.entries(usage.lambdaGbSecondsByFunction).sort((a, b) => b[1] - a[1]))
  log(`  ${name.padEnd(32)} ${gbs.toFixed(1).padStart(10)} GB-s`);
log(`largest state  ${usage.maxPayloadBytes} bytes (${usage.maxPayloadAt}); quota 262144`);
log(`longest history ${usage.maxHistoryEvents} events; quota 25000`);
log(
  `cost           Step Functions ${usd(cost.stepFunctionsUsd)} + Lambda ${usd(cost.lambdaUsd)} = ${usd(cost.totalUsd)}; ${usd(result.costUsdPer10kEndpoints)} per 10,000 endpoints`,
);
log(
  `prices         ${PRICES.region} on-demand as listed on ${PRICES.checkedOn}: $${PRICES.standardTransitionUsd * 1000}/1,000 transitions, $${PRICES.lambdaGbSecondUsd}/Lambda GB-s, $${PRICES.lambdaRequestUsd * 1e6}/1M Lambda requests`,
);
if (values.json) {
  console.log(
    JSON.stringify({
      endpoints: result.endpoints,
      candidates: result.candidates,
      deleted: result.deleted,
      seconds: Math.round(result.seconds * 10) / 10,
      transitions: usage.transitions,
      lambdaGbSeconds: Math.round(usage.lambdaGbSeconds * 10) / 10,
      costUsdPer10kEndpoints: Math.round(result.costUsdPer10kEndpoints * 10_000) / 10_000,
      maxPayloadBytes: usage.maxPayloadBytes,
      maxHistoryEvents: usage.maxHistoryEvents,
      status: result.status,
      pricesCheckedOn: PRICES.checkedOn,
    }),
  );
}
process.exitCode = result.status === 'SUCCEEDED' && result.candidates === result.expectedZombies && result.deleted === result.candidates ? 0 : 1;

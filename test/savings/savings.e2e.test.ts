import { GetMetricDataCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSavings, runSavings } from '../../cli/commands/savings.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { systemClock } from '../../src/core/clock.ts';
import { silentLog } from '../../src/core/log.ts';
import { readReport } from '../../src/sweep/report-store.ts';
import { recordSavings } from '../../src/sweep/savings.ts';
import { BUCKET, REGION, workflowEnv, type WorkflowEnv } from '../workflow/harness.ts';

let env: WorkflowEnv;
let saved: NodeJS.ProcessEnv;
beforeAll(async () => {
  env = await workflowEnv();
  saved = { ...process.env };
  Object.assign(process.env, env.sim.env());
});
afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await env.stop();
});

const quiet = { stdout: () => undefined, stderr: () => undefined, env: process.env };

describe('zombie-sweep savings after real sweeps', () => {
  it('shows what a cleanup sweep deleted, with its $/month, and a report sweep adds nothing', async () => {
    await env.start({ sweepId: 'savings-report-1', mode: 'report' }).done;
    await env.start({ sweepId: 'savings-cleanup-1', mode: 'cleanup', approval: { approvers: [], autoApprove: true } }).done;
    const report = await readReport(env.s3, BUCKET, 'savings-cleanup-1');
    expect(report.summary.deleted).toBe(3);

    const summary = await runSavings({ archiveBucket: BUCKET, output: 'json' }, { ...quiet, env: process.env });
    expect(summary.sweeps).toBe(2);
    expect(summary.endpoints).toBe(3);
    expect(summary.runRateUsd).toBe(report.summary.savedMonthlyCostUsd);
    expect(summary.byAccount).toEqual([{ key: report.actions[0]!.accountId, endpoints: 3, monthlyUsd: report.summary.savedMonthlyCostUsd }]);
    const table = renderSavings(summary, 'table');
    expect(table).toContain('3 endpoints removed by 2 sweeps');
    expect(renderSavings(summary, 'html')).toContain('<svg');
    expect(renderSavings(summary, 'csv').split('\r\n')[0]).toBe('month,endpoints,addedUsd,runRateUsd,idleUsd');
  });

  it('publishes MonthlySavingsUsd and IdleCostUsd where the hub configures a namespace', async () => {
    const report = await readReport(env.s3, BUCKET, 'savings-cleanup-1');
    const clients = new ClientFactory({
      hubRegion: REGION,
      sessionName: 'test',
      endpoint: env.sim.url,
      s3ForcePathStyle: true,
      credentials: async () => env.sim.clientConfig().credentials,
    });
    await recordSavings({ clients, archiveBucket: BUCKET, hubRegion: REGION, clock: systemClock, log: silentLog, metricsNamespace: 'ZombieSweep' }, report);
    const cloudwatch = new CloudWatchClient(env.sim.clientConfig());
    const now = Date.now();
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - 3_600_000),
        EndTime: new Date(now + 3_600_000),
        MetricDataQueries: ['MonthlySavingsUsd', 'IdleCostUsd'].map((name, i) => ({
          Id: `m${i}`,
          MetricStat: { Metric: { Namespace: 'ZombieSweep', MetricName: name, Dimensions: [{ Name: 'Mode', Value: 'cleanup' }] }, Period: 60, Stat: 'Sum' },
        })),
      }),
    );
    const values = Object.fromEntries((out.MetricDataResults ?? []).map((r) => [r.Id, (r.Values ?? []).reduce((a, b) => a + b, 0)]));
    expect(values.m0).toBe(report.summary.savedMonthlyCostUsd);
    expect(values.m1).toBe(report.summary.zombieMonthlyCostUsd);
  });
});

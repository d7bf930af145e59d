import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { systemClock } from '../../src/core/clock.ts';
import { renderReport, runReport } from '../../cli/commands/report.ts';
import { parseDuration, runStart, sweepInputFromFlags, type StartFlags } from '../../cli/commands/start.ts';
import { registerStart } from '../../cli/commands/start.ts';
import { registerStatus, runStatus } from '../../cli/commands/status.ts';
import { registerReport } from '../../cli/commands/report.ts';
import { LOCAL_STATE_MACHINE_NAME } from '../../local/runner/index.ts';
import type { SweepReport } from '../../src/sweep/model.ts';
import { APPROVERS, BUCKET, MGMT, REGION, TEAM, json, liveEndpoints, workflowEnv, workflowScenario, type WorkflowEnv } from './harness.ts';

const BIN = fileURLToPath(new URL('../../bin/zombie-sweep.mjs', import.meta.url));

let env: WorkflowEnv;
let saved: NodeJS.ProcessEnv;
beforeAll(async () => {
  // idle-a names its owner, so --notify-owners has someone to tell.
  const scenario = workflowScenario();
  for (const endpoint of scenario.endpoints ?? []) if (endpoint.name === 'idle-a') endpoint.tags = { owner: 'ana@example.com' };
  env = await workflowEnv(scenario);
  // The SDK reads AWS_ENDPOINT_URL from process.env: point it at this file's simulator, restored afterwards.
  saved = { ...process.env };
  Object.assign(process.env, env.sim.env());
});
afterAll(async () => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await env.stop();
});

function cli(
  args: string[],
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env.sim.env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const io = { stdout: () => undefined, stderr: () => undefined, env: process.env, clock: systemClock };

describe('zombie-sweep start --local', () => {
  it('runs the workflow in its own process, prints the approval links, waits for the decision made on them, then prints the report', async () => {
    let decided = false;
    const run = await cli(
      [
        'start',
        '--local',
        '--org',
        '--regions',
        REGION,
        '--mode',
        'cleanup',
        '--sweep-id',
        'cli-local-1',
        '--archive-bucket',
        BUCKET,
        '--approver',
        APPROVERS[0]!,
        '--notify-owners',
        '--notice-period',
        '0',
        '--output',
        'json',
      ],
      (stderr) => {
        const link = stderr.match(/http:\/\/127\.0\.0\.1:\d+\/approvals\/cli-local-1\?approver=\S+/)?.[0];
        if (!link || decided) return;
        decided = true;
        // The approver opens the printed link and approves everything but idle-c.
        void (async () => {
          const page = await (await fetch(link)).text();
          const form = new URLSearchParams();
          for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
            form.append(name!, value!.replace(/&amp;/g, '&'));
          for (const name of ['idle-a', 'idle-b']) form.append('endpoint', `arn:aws:sagemaker:${REGION}:${TEAM}:endpoint/${name}`);
          form.append('action', 'approve');
          await fetch(link.split('?')[0]!, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        })();
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('Approval needed for sweep cli-local-1');
    // Owners first: the veto link of idle-a's owner (its owner tag), printed like the approval links.
    expect(run.stderr).toMatch(
      /Owners were told first \(sweep cli-local-1\)[\s\S]*ana@example\.com \(idle-a\): http:\/\/127\.0\.0\.1:\d+\/approvals\/cli-local-1\?owner=ana%40example\.com&expires=\d+&sig=/,
    );
    expect(run.stderr.indexOf('Owners were told first')).toBeLessThan(run.stderr.indexOf('Approval needed'));
    const out = JSON.parse(run.stdout) as { status: string; report: SweepReport };
    expect(out.status).toBe('SUCCEEDED');
    expect(out.report.summary).toMatchObject({ zombies: 3, approved: 2, rejected: 1, deleted: 2 });
    expect(liveEndpoints(env.sim, TEAM)).toEqual(['busy-api', 'fresh-one', 'idle-c']);
  });

  it('refuses bad flags with the flag named, before doing anything', async () => {
    const base = { mode: 'report', org: true, approver: [], approvalTimeout: '72h', output: 'table', stackName: 'ZombieSweepHub' } as StartFlags;
    expect(() => sweepInputFromFlags({ ...base, org: undefined }, 'me', new Date())).toThrow(/--org: a deployed sweep targets the organization/);
    expect(() => sweepInputFromFlags({ ...base, local: true }, 'me', new Date())).toThrow(/--archive-bucket: required with --local/);
    expect(() => sweepInputFromFlags({ ...base, autoApprove: true }, 'me', new Date())).toThrow(/--auto-approve: only applies with --local/);
    expect(() => sweepInputFromFlags({ ...base, mode: 'cleanup' }, 'me', new Date())).toThrow(/--approver/);
    expect(() => sweepInputFromFlags({ ...base, approver: ['not-an-email'] }, 'me', new Date())).toThrow(/--approver/);
    expect(() => sweepInputFromFlags({ ...base, approvalTimeout: '10s' }, 'me', new Date())).toThrow(/--approval-timeout/);
    expect(() => sweepInputFromFlags({ ...base, regions: 'moon-1' }, 'me', new Date())).toThrow(/--regions/);
    expect(() => sweepInputFromFlags({ ...base, notifyOwners: true, noticePeriod: 'soon' }, 'me', new Date())).toThrow(/invalid --notice-period/);
    expect(() => sweepInputFromFlags({ ...base, notifyOwners: true, noticePeriod: '40d' }, 'me', new Date())).toThrow(/invalid --notice-period/);
    expect(sweepInputFromFlags({ ...base, notifyOwners: true, noticePeriod: '0' }, 'me', new Date()).approval?.noticeSeconds).toBe(0);
    expect(parseDuration('72h')).toBe(259_200);
    expect(parseDuration('3d')).toBe(259_200);
    expect(parseDuration('90m')).toBe(5_400);
    expect(sweepInputFromFlags(base, 'arn:aws:iam::1:user/me', new Date('2025-01-02T03:04:05Z')).sweepId).toMatch(/^sweep-20250102-030405-[0-9a-f]{4}$/);
  });
});

describe('zombie-sweep start (deployed), status and report', () => {
  it('starts a sweep on a state machine through the Step Functions API, follows it, and reports on it', async () => {
    // The simulator's Step Functions API serves the local runner's state machine as if it were deployed.
    const first = await env.start({ sweepId: 'cli-seed', mode: 'report' }).done;
    expect(first.status).toBe('SUCCEEDED');
    const stateMachineArn = `arn:aws:states:${REGION}:${MGMT}:stateMachine:${LOCAL_STATE_MACHINE_NAME}`;
    const lines: string[] = [];
    const code = await runStart(
      {
        mode: 'report',
        approver: [],
        approvalTimeout: '72h',
        output: 'table',
        stackName: 'ZombieSweepHub',
        org: true,
        regions: REGION,
        sweepId: 'cli-deployed-1',
        stateMachineArn,
        wait: true,
      } as StartFlags,
      { ...io, stdout: (t) => lines.push(t), stderr: (t) => lines.push(t) },
    );
    expect(code).toBe(0);
    expect(lines.join('')).toContain('cli-deployed-1');
    expect(lines.join('')).toMatch(/→ ScanTargets[\s\S]*→ FinalReport[\s\S]*sweep finished/);

    let printed = '';
    const status = await runStatus(
      'cli-deployed-1',
      { archiveBucket: BUCKET, stateMachineArn, output: 'table' },
      { stdout: (t) => (printed += t), env: process.env },
    );
    expect(status.execution).toMatchObject({ status: 'SUCCEEDED', executionArn: expect.stringContaining(':execution:') });
    const stored = await json<SweepReport>(env.s3, 'sweeps/cli-deployed-1/report.json');
    expect(status.report).toMatchObject({ status: 'completed', mode: 'report', zombies: stored.summary.zombies });
    expect(stored.findings.map((f) => f.endpointName)).toContain('busy-api');
    expect(printed).toMatch(/execution: +SUCCEEDED/);

    const dir = mkdtempSync(join(tmpdir(), 'zs-report-'));
    const file = join(dir, 'report.html');
    const report = await runReport('cli-deployed-1', { archiveBucket: BUCKET, output: 'html', file }, { ...io });
    const html = readFileSync(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('Zombie $/month by account');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(renderReport(report, 'csv').split('\r\n')[0]).toContain('accountId,region,endpointName,verdict');
    expect(renderReport(report, 'table')).toContain('busy-api');
    expect(JSON.parse(renderReport(report, 'json')).sweepId).toBe('cli-deployed-1');
  });

  it('has --help on start, status and report', () => {
    for (const register of [registerStart, registerStatus, registerReport]) {
      const program = new Command('zombie-sweep').exitOverride();
      register(program);
      const help = program.commands[0]!.helpInformation();
      expect(help).toMatch(/Usage: zombie-sweep (start|status|report)/);
    }
  });
});

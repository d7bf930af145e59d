import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, GetObjectRetentionCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUCKET, REGION, workflowEnv, type WorkflowEnv } from './harness.ts';

/**
 * `zombie-sweep start --local` as an operator runs it, in its own process against the simulator:
 * audit events get the same Object Lock retention a deployed sweep gives them, and a second sweep
 * with a used sweep id is refused without touching what the first one left.
 */

const BIN = fileURLToPath(new URL('../../bin/zombie-sweep.mjs', import.meta.url));
const DAY = 86_400_000;

// A fresh organization per test: a cleanup sweep deletes the zombies the next one would need.
let env: WorkflowEnv;
beforeEach(async () => {
  env = await workflowEnv();
});
afterEach(() => env.stop());

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env.sim.env(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const start = (sweepId: string, mode: 'cleanup' | 'report', extraEnv: Record<string, string> = {}) =>
  cli(
    [
      'start',
      '--local',
      '--org',
      '--regions',
      REGION,
      '--mode',
      mode,
      '--sweep-id',
      sweepId,
      '--archive-bucket',
      BUCKET,
      ...(mode === 'cleanup' ? ['--auto-approve'] : []),
      '--output',
      'json',
    ],
    extraEnv,
  );

async function bytes(key: string): Promise<string> {
  return await (await env.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString('base64');
}

/** The Object Lock retention of every audit event of the sweep. */
async function auditRetentions(sweepId: string): Promise<{ mode?: string; days: number }[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await env.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'audit/', ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  const mine: string[] = [];
  for (const key of keys) {
    const text = Buffer.from(await bytes(key), 'base64').toString();
    if (text.includes(`"sweepId": "${sweepId}"`)) mine.push(key);
  }
  return Promise.all(
    mine.map(async (key) => {
      const { Retention } = await env.s3.send(new GetObjectRetentionCommand({ Bucket: BUCKET, Key: key }));
      return { mode: Retention?.Mode, days: Math.round((Retention!.RetainUntilDate!.getTime() - Date.now()) / DAY) };
    }),
  );
}

describe('start --local', () => {
  it('locks every audit event with the deployed retention, or with AUDIT_RETENTION_DAYS / AUDIT_RETENTION_MODE', async () => {
    const first = await start('local-lock-1', 'cleanup');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('audit events: COMPLIANCE retention for 2557 days (the deployed default');
    const deployed = await auditRetentions('local-lock-1');
    expect(deployed.length).toBeGreaterThan(10);
    expect(new Set(deployed.map((r) => `${r.mode} ${r.days}`))).toEqual(new Set(['COMPLIANCE 2557']));

    const configured = await start('local-lock-2', 'report', { AUDIT_RETENTION_DAYS: '3', AUDIT_RETENTION_MODE: 'GOVERNANCE' });
    expect(configured.code, configured.stderr).toBe(0);
    const three = await auditRetentions('local-lock-2');
    expect(three.length).toBeGreaterThan(0);
    expect(new Set(three.map((r) => `${r.mode} ${r.days}`))).toEqual(new Set(['GOVERNANCE 3']));
  }, 240_000);

  it("refuses a second sweep with a used --sweep-id, naming it, and leaves the first one's report and decision byte-identical", async () => {
    const first = await start('local-dup-1', 'cleanup');
    expect(first.code, first.stderr).toBe(0);
    const report = await bytes('sweeps/local-dup-1/report.json');
    const decision = await bytes('approvals/local-dup-1/decision.json');

    const again = await start('local-dup-1', 'report');
    expect(again.code).not.toBe(0);
    expect(again.stderr + again.stdout).toContain('sweep local-dup-1 already exists');
    expect(await bytes('sweeps/local-dup-1/report.json')).toBe(report);
    expect(await bytes('approvals/local-dup-1/decision.json')).toBe(decision);
  }, 240_000);
});

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * `npm run demo -- --auto-approve`, as a user runs it: the whole product against the simulated demo
 * organization, in its own process. Its output must show each part of the product at work.
 */

const ROOT = resolve(import.meta.dirname, '../..');

function demo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/demo.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('npm run demo -- --auto-approve', () => {
  it('shows an auto-tagged endpoint, owner notices with veto links, a group approval, a scale to zero and the savings view', async () => {
    const run = await demo(['--auto-approve']);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    // Prevention: the auto-tagger gave a new endpoint an owner and a deadline.
    expect(out).toMatch(/the auto-tagger tagged it created-by=arn:aws:iam::\d{12}:user\/sim-admin auto-delete-after=\d{4}-\d{2}-\d{2}/);
    // Owners in the loop: each owner's notice, with the endpoints and a signed veto link.
    expect(out).toMatch(
      /Owners were told first[\s\S]*maria\.garcia@acme\.example \(fraud-detector-v1\): http:\/\/127\.0\.0\.1:\d+\/approvals\/demo-rest-\S+\?owner=maria\.garcia%40acme\.example&expires=\d+&sig=\S{43}/,
    );
    // A group approval: two approvers of the workloads group (matched by a nested OU), the quorum reached by the second.
    expect(out).toMatch(/prod-lead@acme\.example approved on the page \(group workloads\): 200 Your choice is recorded/);
    expect(out).toMatch(/sre-lead@acme\.example approved on the page \(group workloads\): 200 Decision recorded/);
    expect(out).toMatch(/Approval: +2 approved, 0 kept, by sre-lead@acme\.example/);
    // A scale to zero instead of a deletion.
    expect(out).toMatch(/Scaled to zero: +1 \(kept, billing nothing/);
    expect(out).toMatch(/Scaled to zero: translation-batch-async \(\d{12}, eu-west-1\), \$[\d,]+\/month no longer billed/);
    // The savings view, as `zombie-sweep savings` prints it.
    expect(out).toMatch(/Savings view \(zombie-sweep savings[\s\S]*MONTH +REMOVED +ADDED \$\/MONTH +RUN RATE \$\/MONTH[\s\S]*OWNER +REMOVED/);
    expect(out).toMatch(/No longer paid: \$3,400\.94\/month/);
  });
});

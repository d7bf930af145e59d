import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { actsOnRealAws, requireConfirmationFlag, requireConfirmedAccount } from '../../cli/shared/interlock.ts';

const BIN = fileURLToPath(new URL('../../bin/zombie-sweep.mjs', import.meta.url));
const REAL = {} as NodeJS.ProcessEnv;
const SIM = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' } as NodeJS.ProcessEnv;

describe('the real-account interlock of start --local', () => {
  it('needs nothing against the simulator or for a report sweep', () => {
    expect(actsOnRealAws(SIM)).toBe(false);
    expect(actsOnRealAws({ AWS_ENDPOINT_URL: 'https://sagemaker.example.internal' })).toBe(true);
    expect(() => requireConfirmationFlag({ local: true, mode: 'cleanup', env: SIM })).not.toThrow();
    expect(() => requireConfirmationFlag({ local: true, mode: 'report', env: REAL })).not.toThrow();
    expect(requireConfirmedAccount({ local: true, mode: 'cleanup', env: SIM }, '111111111111', 'arn:aws:iam::111111111111:user/a')).toBeUndefined();
  });

  it('refuses a tag or cleanup sweep on AWS that names no account, or names another one', () => {
    for (const mode of ['tag', 'cleanup']) expect(() => requireConfirmationFlag({ local: true, mode, env: REAL })).toThrow(/--confirm-account/);
    expect(() => requireConfirmationFlag({ local: true, mode: 'cleanup', env: REAL, confirmAccount: '1234' })).toThrow(/12-digit/);
    expect(() => requireConfirmedAccount({ local: true, mode: 'cleanup', env: REAL, confirmAccount: '222222222222' }, '111111111111', 'arn:aws:iam::111111111111:user/a')).toThrow(
      /act in account 111111111111, not 222222222222; nothing was done/,
    );
    expect(requireConfirmedAccount({ local: true, mode: 'cleanup', env: REAL, confirmAccount: '111111111111' }, '111111111111', 'arn:aws:iam::111111111111:user/a')).toContain('acting in AWS account 111111111111');
  });

  it('stops the CLI before any AWS call, naming the flag, with exit code 1', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'start', '--local', '--mode', 'cleanup', '--auto-approve', '--archive-bucket', 'zombie-archive'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^zombie-sweep: InputValidationError: invalid --confirm-account: a local cleanup sweep against AWS/);
  }, 60_000);
});

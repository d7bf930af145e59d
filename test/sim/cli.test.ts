import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeOrganizationCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const children: ChildProcess[] = [];

/** The child gets its own process group, so cleanup can stop npm, tsx and node together. */
function start(command: string, args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') || key === 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'),
  );
  const child = spawn(command, args, { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs: number, read: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const CLI = fileURLToPath(new URL('../../bin/zombie-sweep.mjs', import.meta.url));

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

afterEach(() => {
  // Kill whatever is left of each group (npm may be gone while its script still runs).
  for (const child of children.splice(0)) {
    if (child.pid && groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  }
});

describe('npm run sim', () => {
  it('starts on a free port, prints the environment to export, serves the SDK, and stops on SIGTERM', async () => {
    const sim = start('npm', ['run', '--silent', 'sim', '--', '--port', '0', '--seed', '3']);
    const env = await until(
      'the export lines',
      () => {
        const out = sim.output();
        if (!out.includes('# Ctrl-C stops it.')) return undefined;
        return Object.fromEntries([...out.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
      },
      45_000,
      sim.output,
    );
    expect(Object.keys(env).sort()).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_SECRET_ACCESS_KEY']);
    expect(env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(env.AWS_ENDPOINT_URL).not.toMatch(/:0$/);
    expect(sim.output()).toMatch(/# SNS outbox: http:\/\/127\.0\.0\.1:\d+\/_sim\/outbox/);
    expect(sim.output()).toMatch(/# Organization o-[a-z0-9]+/);

    const config = {
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION!,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    };
    const org = new OrganizationsClient(config);
    const sts = new STSClient(config);
    const { Organization } = await org.send(new DescribeOrganizationCommand({}));
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(Organization?.MasterAccountId);
    let accounts = 0;
    for await (const page of paginateListAccounts({ client: org }, {})) accounts += page.Accounts?.length ?? 0;
    expect(sim.output()).toContain(`: ${accounts} accounts`);
    org.destroy();
    sts.destroy();

    // The archive bucket it prints is ready for a local sweep, and status reads that sweep afterwards,
    // with nothing but the printed exports (docs/local.md).
    expect(sim.output()).toContain('# Archive bucket: s3://zombie-sweep-archive (Object Lock)');
    const cliEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_'))),
      ...env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const started = await runCli(
      [
        'start',
        '--local',
        '--org',
        '--regions',
        'us-east-1',
        '--mode',
        'report',
        '--archive-bucket',
        'zombie-sweep-archive',
        '--sweep-id',
        'sim-doc-1',
        '--quiet',
      ],
      cliEnv,
    );
    expect(started.code, started.stderr).toBe(0);
    const status = await runCli(['status', 'sim-doc-1', '--archive-bucket', 'zombie-sweep-archive', '-o', 'json'], cliEnv);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ sweepId: 'sim-doc-1', report: { status: 'completed', mode: 'report' } });

    // SIGTERM to the process group, as a terminal's Ctrl-C, a service manager or a CI runner delivers it
    // (npm's shell does not pass a signal sent to npm alone on to the script).
    process.kill(-sim.child.pid!, 'SIGTERM');
    await until('every process of the group to exit', () => (groupAlive(sim.child.pid!) ? undefined : true), 15_000, sim.output);
    expect(sim.output()).toContain('sim: SIGTERM, stopping');
    await expect(fetch(`${env.AWS_ENDPOINT_URL}/_sim/health`)).rejects.toThrow();
  }, 240_000);

  it('refuses bad options with a message and a failing exit code', async () => {
    const run = start(process.execPath, ['--import', 'tsx', 'local/sim/main.ts', '--port', 'eighty']);
    const code = await Promise.race([run.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000))]);
    expect(code).not.toBe(0);
    expect(code).not.toBe('hung');
    expect(run.output()).toContain('--port must be an integer from 0 to 65535');
  });
});

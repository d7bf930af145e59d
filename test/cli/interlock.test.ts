import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { actsOnRealAws, confirmAccount, requireConfirmationFlag, type InterlockInput } from '../../cli/shared/interlock.ts';
import { listAccountAlias } from '../../cli/shared/account-alias.ts';

const BIN = fileURLToPath(new URL('../../bin/zombie-sweep.mjs', import.meta.url));
const REAL = {} as NodeJS.ProcessEnv;
const SIM = { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' } as NodeJS.ProcessEnv;

describe('the real-account interlock of start --local', () => {
  it('needs nothing against the simulator or for a report sweep', () => {
    expect(actsOnRealAws(SIM)).toBe(false);
    expect(actsOnRealAws({ AWS_ENDPOINT_URL: 'https://sagemaker.example.internal' })).toBe(true);
    expect(() => requireConfirmationFlag({ local: true, mode: 'cleanup', env: SIM })).not.toThrow();
    expect(() => requireConfirmationFlag({ local: true, mode: 'report', env: REAL })).not.toThrow();
    expect(() => requireConfirmationFlag({ local: true, mode: 'cleanup', env: REAL, interactive: true })).not.toThrow();
  });

  it('refuses a tag or cleanup sweep on AWS that names no account, or names another one', () => {
    for (const mode of ['tag', 'cleanup']) expect(() => requireConfirmationFlag({ local: true, mode, env: REAL })).toThrow(/--confirm-account/);
    expect(() => requireConfirmationFlag({ local: true, mode: 'cleanup', env: REAL, confirmAccount: '1234' })).toThrow(/12-digit/);
  });

  const CALLER = { accountId: '111111111111', arn: 'arn:aws:iam::111111111111:user/a' };
  async function confirm(input: Omit<InterlockInput, 'local' | 'env'>, alias: Parameters<typeof confirmAccount>[2], typed?: string) {
    const said: string[] = [];
    const asked: string[] = [];
    const ask = async (q: string) => (asked.push(q), typed ?? '');
    const outcome = await confirmAccount({ local: true, env: REAL, ...input }, CALLER, alias, { say: (t) => said.push(t), ask }).then(
      (line): { line?: string; error?: string } => ({ line }),
      (error: Error): { line?: string; error?: string } => ({ error: error.message }),
    );
    return { ...outcome, said: said.join(''), asked };
  }

  it('states the account id and alias it will act in, and acts only in the account --confirm-account names', async () => {
    const ok = await confirm({ mode: 'cleanup', confirmAccount: '111111111111' }, { alias: 'prod-ml' });
    expect(ok.said).toBe('this local cleanup sweep will tag and delete in AWS account 111111111111 (alias "prod-ml") as arn:aws:iam::111111111111:user/a\n');
    expect(ok).toMatchObject({
      line: 'acting in AWS account 111111111111 (alias "prod-ml") as arn:aws:iam::111111111111:user/a (confirmed with --confirm-account)',
      asked: [],
    });
    expect((await confirm({ mode: 'tag', confirmAccount: '111111111111' }, { alias: undefined })).said).toContain(
      'will tag in AWS account 111111111111 (no alias)',
    );
    expect((await confirm({ mode: 'tag', confirmAccount: '111111111111' }, { error: '403 AccessDenied' })).said).toContain(
      '111111111111 (alias unknown: iam:ListAccountAliases failed: 403 AccessDenied)',
    );
    const other = await confirm({ mode: 'cleanup', confirmAccount: '222222222222' }, { alias: 'prod-ml' });
    expect(other.error).toBe(
      'invalid --confirm-account: the credentials loaded here (arn:aws:iam::111111111111:user/a) act in account 111111111111 (alias "prod-ml"), not 222222222222; nothing was done',
    );
  });

  it('on a terminal without the flag, asks for the id to be typed and refuses anything else', async () => {
    const typed = await confirm({ mode: 'cleanup', interactive: true }, { alias: 'prod-ml' }, ' 111111111111 ');
    expect(typed.asked).toEqual(['type the account id 111111111111 to continue: ']);
    expect(typed.line).toContain('(confirmed by typing the id)');
    const wrong = await confirm({ mode: 'cleanup', interactive: true }, { alias: 'prod-ml' }, 'yes');
    expect(wrong.error).toBe('invalid --confirm-account: the typed id "yes" is not 111111111111; nothing was done');
    expect(await confirm({ mode: 'report', interactive: true }, { alias: 'prod-ml' })).toMatchObject({ line: undefined, said: '', asked: [] });
  });

  it('reads the alias with a signed iam:ListAccountAliases call, and says "no alias" for an account without one', async () => {
    const seen: { auth?: string; body: string }[] = [];
    const answers = [
      '<ListAccountAliasesResponse><ListAccountAliasesResult><AccountAliases><member>prod-ml</member></AccountAliases><IsTruncated>false</IsTruncated></ListAccountAliasesResult></ListAccountAliasesResponse>',
      '<ListAccountAliasesResponse><ListAccountAliasesResult><AccountAliases/><IsTruncated>false</IsTruncated></ListAccountAliasesResult></ListAccountAliasesResponse>',
    ];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ auth: req.headers.authorization, body });
        res
          .writeHead(answers.length > 0 ? 200 : 403, { 'content-type': 'text/xml' })
          .end(answers.shift() ?? '<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const credentials = async () => ({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' });
    try {
      expect(await listAccountAlias(credentials, url)).toEqual({ alias: 'prod-ml' });
      expect(await listAccountAlias(credentials, url)).toEqual({ alias: undefined });
      expect(await listAccountAlias(credentials, url)).toEqual({ error: '403 AccessDenied' });
    } finally {
      server.close();
    }
    expect(seen[0]).toMatchObject({
      body: 'Action=ListAccountAliases&Version=2010-05-08',
      auth: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE\/\d{8}\/us-east-1\/iam\/aws4_request/),
    });
  });

  it('stops the CLI before any AWS call, naming the flag, with exit code 1', async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'start', '--local', '--mode', 'cleanup', '--auto-approve', '--archive-bucket', 'zombie-archive'], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
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

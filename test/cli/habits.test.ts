import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Store, startScenarioSimulator } from '../../local/sim/index.ts';
import type { Simulator } from '../../local/sim/server.ts';
import { SimError } from '../../local/sim/protocol.ts';
import { runAudit } from '../../cli/commands/audit.ts';
import { runScan, type ScanFlags } from '../../cli/commands/scan.ts';
import { colorEnabled } from '../../cli/shared/globals.ts';
import type { ScanJson } from '../../cli/shared/scan-report.ts';
import { appendAuditEvent } from '../../src/audit/events.ts';
import { systemClock } from '../../src/core/clock.ts';
import { PriceTableSchema } from '../../src/detection/pricing.ts';
import { simFactory, useSimulatorEnv } from '../detection/sim-env.ts';

/**
 * The AWS CLI habits every verb shares, run as users run them: real subprocesses of bin/zombie-sweep.mjs
 * against the simulated demo organization, exit codes included (docs/cli.md).
 */
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'zombie-sweep.mjs');
const BUCKET = 'zombie-sweep-archive';
const dir = mkdtempSync(join(tmpdir(), 'zs-habits-'));
const PRICES = join(dir, 'prices.json');
const HTML = join(dir, 'scan.html');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

let sim: Simulator;
/** A web server that is not AWS: answers every request with an HTML page. */
let notAws: Server;
let restoreEnv: () => void;
const runs: Record<string, Promise<CliRun>> = {};
/** The subprocesses start together on a machine shared with other work: generous, never a timing assertion. */
const SUBPROCESS_MS = 240_000;

async function cli(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env: env as NodeJS.ProcessEnv, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  sim = await startScenarioSimulator({ scenario: 'demo', seed: 1 });
  s3Store(sim.world).createBucket(BUCKET, { ownerAccountId: sim.world.managementAccountId, region: sim.world.homeRegion, objectLockEnabled: true });
  restoreEnv = useSimulatorEnv(sim);
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const simEnv: Record<string, string | undefined> = { ...base, ...sim.env() };
  // Everything but the endpoint: --endpoint-url must be enough on its own.
  const { AWS_ENDPOINT_URL: url, ...noEndpoint } = simEnv;
  const noCreds = { ...base, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };
  writeFileSync(join(dir, 'none'), '');
  // Started together: each pays tsx start-up once, the simulator answers them all.
  runs.endpointUrl = cli(['scan', '--org', '--regions', 'us-east-1', '-o', 'JSON', '--quiet', '--endpoint-url', url!], noEndpoint);
  runs.badOutput = cli(['scan', '-o', 'xml'], simEnv);
  runs.badRegion = cli(['status', 'sweep-1', '--region', 'us-esat-1'], simEnv);
  runs.autoApprove = cli(['start', '--local', '--org', '--mode', 'report', '--auto-approve', '--archive-bucket', BUCKET], simEnv);
  runs.badBucket = cli(['report', 'sweep-1', '--archive-bucket', 'Not_A_Bucket'], noCreds);
  runs.missingReport = cli(['report', 'sweep-1', '--archive-bucket', 'no-such-archive'], simEnv);
  runs.missingAudit = cli(['audit', '--archive-bucket', 'no-such-archive', '--endpoint', 'fraud-detector-v1'], simEnv);
  runs.missingStart = cli(['start', '--local', '--org', '--archive-bucket', 'no-such-archive'], simEnv);
  runs.statusNoDeployment = cli(['status', 'sweep-1'], simEnv);
  runs.prices = cli(['prices', 'refresh', '--file', PRICES, '-q'], simEnv);
  notAws = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><meta charset="utf-8"></head><body>hello</body></html>'),
  );
  await new Promise<void>((resolve) => notAws.listen(0, '127.0.0.1', resolve));
  runs.notAws = cli(['scan', '--endpoint-url', `http://127.0.0.1:${(notAws.address() as AddressInfo).port}`], noEndpoint);
  runs.html = cli(['scan', '--org', '--regions', 'us-east-1', '--output', 'Html', '--file', HTML, '--no-progress', '--no-color'], simEnv);
});

afterAll(async () => {
  await Promise.allSettled(Object.values(runs));
  restoreEnv();
  notAws.close();
  await sim.stop();
});

describe('global options', () => {
  it(
    '--endpoint-url reaches the endpoint without AWS_ENDPOINT_URL; -o is case-insensitive; --quiet leaves stderr empty',
    async () => {
      const run = await runs.endpointUrl!;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      const out = JSON.parse(run.stdout) as ScanJson;
      expect(out.summary).toMatchObject({ scanned: 4, targets: 4 });
      expect(out.findings.length).toBeGreaterThan(0);
    },
    SUBPROCESS_MS,
  );

  it(
    '-o with a format the verb does not write names the flag and the formats',
    async () => {
      const run = await runs.badOutput!;
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("option '-o, --output <format>' argument 'xml' is invalid. must be one of table, text, json, csv, html");
    },
    SUBPROCESS_MS,
  );

  it(
    '--region is checked against the region list before any call',
    async () => {
      const run = await runs.badRegion!;
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe('zombie-sweep: InputValidationError: invalid --region: "us-esat-1" is not an AWS region (did you mean us-east-1?)');
    },
    SUBPROCESS_MS,
  );

  it('colour only on a terminal, never with --no-color or NO_COLOR', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, {}, { color: false })).toBe(false);
  });
});

describe('errors that are not bad input', () => {
  it(
    'an endpoint that answers something the SDK cannot parse is named, never an InputValidationError',
    async () => {
      const run = await runs.notAws!;
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^zombie-sweep: EndpointError: the endpoint http:\/\/127\.0\.0\.1:\d+ did not answer as AWS STS does \(.*parse error/);
    },
    SUBPROCESS_MS,
  );
});

describe('start', () => {
  it(
    'refuses --auto-approve outside cleanup mode instead of ignoring it',
    async () => {
      const run = await runs.autoApprove!;
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe('zombie-sweep: InputValidationError: invalid --auto-approve: only applies with --mode cleanup (got --mode report)');
    },
    SUBPROCESS_MS,
  );
});

describe('--archive-bucket', () => {
  it(
    'is checked by the S3 naming rules before anything runs (no credentials needed to be told)',
    async () => {
      const run = await runs.badBucket!;
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(
        'zombie-sweep: InputValidationError: invalid --archive-bucket: must be an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit (got "Not_A_Bucket")',
      );
    },
    SUBPROCESS_MS,
  );

  it(
    'a missing bucket is named, with the flag, in the same words by every verb',
    async () => {
      const expected =
        'zombie-sweep: ArchiveBucketError: archive bucket no-such-archive (--archive-bucket) does not exist for these credentials and region; check the name, or create it (docs/deploy.md)';
      for (const run of [await runs.missingReport!, await runs.missingAudit!, await runs.missingStart!]) {
        expect(run.code).toBe(1);
        expect(run.stderr.trim().split('\n').at(-1)).toBe(expected);
      }
    },
    SUBPROCESS_MS,
  );

  it('a bucket that refuses access is named, with the flag', async () => {
    const fault = sim.traffic.inject({ service: 's3', operation: 'HeadBucket', error: new SimError('AccessDenied', 'Access Denied', 403) });
    try {
      const io = { stdout: () => {}, stderr: () => {}, env: process.env, factory: simFactory().factory };
      await expect(runAudit({ archiveBucket: BUCKET, output: 'table' }, io)).rejects.toMatchObject({
        name: 'ArchiveBucketError',
        message: expect.stringMatching(/^archive bucket zombie-sweep-archive \(--archive-bucket\) refused access: AccessDenied/),
      });
    } finally {
      sim.traffic.remove(fault);
    }
  });
});

describe('status', () => {
  it(
    'without a deployment, says the hub stack is missing and how to read a local sweep instead, in one line',
    async () => {
      const run = await runs.statusNoDeployment!;
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain('stack ZombieSweepHub does not exist');
      expect(run.stderr).toMatch(/^zombie-sweep: ExecutionLookupError: cannot read the execution of sweep sweep-1: .*pass --archive-bucket/);
    },
    SUBPROCESS_MS,
  );
});

describe('audit', () => {
  it('fits its timeline in the terminal; csv keeps the full text', async () => {
    const s3 = simFactory().factory.hub(S3Client);
    const note = 'a long reason that a narrow terminal cannot show in full, which json and csv must keep whole';
    for (const type of ['detected', 'tagged'] as const) {
      await appendAuditEvent(
        { s3, bucket: BUCKET, clock: systemClock },
        {
          type,
          actor: 'zombie-sweep',
          sweepId: 'sweep-habits-1',
          accountId: '345678901234',
          region: 'us-east-1',
          endpointName: 'fraud-detector-v1',
          reason: note,
          tagsBefore: {},
          tagsAfter: type === 'tagged' ? { zombie: 'confirmed', 'zombie-sweep-id': 'sweep-habits-1' } : {},
        },
      );
    }
    const read = async (output: 'table' | 'csv', columns?: number) => {
      let out = '';
      await runAudit(
        { archiveBucket: BUCKET, endpoint: 'fraud-detector-v1', output },
        { stdout: (t) => (out += t), stderr: () => {}, env: {}, factory: simFactory().factory, stdoutStream: { isTTY: true, columns } },
      );
      return out;
    };
    const table = await read('table', 80);
    for (const line of table.split('\n').slice(2)) expect(line.length).toBeLessThanOrEqual(80);
    // Too narrow for the table: one block per event, wrapped, nothing cut.
    expect(table).toContain('    set zombie=confirmed');
    expect(table.replace(/\s+/g, ' ')).toContain(`note: ${note}`);
    expect(await read('csv')).toContain(note);
  });
});

describe('prices refresh and --price-file', () => {
  it(
    'builds a dated table from the Price List Query API of the simulator, honest that it is not AWS, and scan costs with it',
    async () => {
      const run = await runs.prices!;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^wrote .*prices\.json: \d+ regions, \d+ instance types, compiled on \d{4}-\d{2}-\d{2}, unverified \(see provenance\)\n$/);
      const table = PriceTableSchema.parse(JSON.parse(readFileSync(PRICES, 'utf8')));
      expect(table.verified).toBe(false);
      expect(table.provenance[0]).toContain(`at the endpoint ${sim.url} (not AWS`);
      expect(table.regions['us-east-1']!.regionFactorFromUsEast1).toBe(1);
      expect(table.regions['eu-west-1']!.instancesUsdPerHour['ml.m5.large']).toBeGreaterThan(0);

      // A table of one's own: every instance at $1/hour makes costs easy to check.
      const flat = {
        ...table,
        compiledOn: '2030-01-01',
        regions: Object.fromEntries(
          Object.entries(table.regions).map(([r, p]) => [
            r,
            { ...p, instancesUsdPerHour: Object.fromEntries(Object.keys(p.instancesUsdPerHour).map((t) => [t, 1])) },
          ]),
        ),
      };
      const own = join(dir, 'flat.json');
      writeFileSync(own, JSON.stringify(flat));
      let stdout = '';
      await runScan({ org: true, regions: 'us-east-1', output: 'json', concurrency: '4', priceFile: own, quiet: true } as ScanFlags, {
        stdout: (t) => (stdout += t),
        stderr: { write: () => true },
        env: process.env,
        clock: systemClock,
      });
      const priced = (JSON.parse(stdout) as ScanJson).findings.filter((f) => f.verdict === 'zombie' && f.instanceType && f.endpointType === 'real-time');
      expect(priced.length).toBeGreaterThan(0);
      for (const f of priced) expect(f.monthlyCostUsd).toBe(730 * f.instanceCount);
    },
    SUBPROCESS_MS,
  );
});

describe('scan --output html --file', () => {
  it(
    'writes the same HTML report a sweep has',
    async () => {
      const run = await runs.html!;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe('');
      const html = readFileSync(HTML, 'utf8');
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('zombie-sweep report <code>scan-');
      expect(html).toContain('llm-summarizer-demo');
    },
    SUBPROCESS_MS,
  );
});

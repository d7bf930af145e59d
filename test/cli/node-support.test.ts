import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../local/sim/server.ts';
import { member, orgWorld } from '../detection/seed.ts';

/**
 * On a supported Node.js the CLI prints its answer and nothing else: no AWS SDK Node-version warning
 * (the environment here is the user's own, without the variable the test runner sets).
 */
const CLI = join(import.meta.dirname, '..', '..', 'bin', 'zombie-sweep.mjs');
const ACCOUNT = '400000000009';
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ world: orgWorld(new Date(), [member(ACCOUNT, ['us-east-1'], { roles: new Map() })]) });
});
afterAll(async () => {
  await sim?.stop();
});

describe('the CLI on a supported Node.js', () => {
  it('states the supported versions in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('^20.19.0 || ^22.12.0 || >=24.0.0');
  });

  it('runs a scan that creates SDK clients without printing the SDK Node-version warning', async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...sim.env() };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'scan', '--regions', 'us-east-1', '--output', 'json'], {
      env,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toHaveProperty('findings');
    expect(stderr).not.toMatch(/NodeVersionSupportWarning|require node >=|Warning:/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMemberRoleDiff } from '../../cli/commands/member-role-diff.ts';
import { parseInfraConfig, readConfigFile, EXAMPLE_CONFIG_FILE, type InfraConfig } from '../../infra/config.ts';
import { memberTemplateForConfig } from '../../infra/member/member-template.ts';
import { cloudFormationStore, kmsStore } from '../../local/sim/index.ts';
import type { Simulator } from '../../local/sim/server.ts';
import { ClientFactory } from '../../src/core/clients.ts';
import { diffMemberTemplates, hasChanges } from '../../src/deploy/member-diff.ts';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV, MGMT, ORG_ID, OU_WORKLOADS, assumeInto, startSmallOrg } from '../sim/core-fixtures.ts';
import { resourcesOf, synthesize } from '../infra/synth.ts';

/**
 * The member role exists in every target account, and its policy travels inside one string of the hub
 * template; `member-role-diff` is how a reviewer sees what an upgrade changes there, statement by
 * statement. Upgrades are rehearsed against StackSets held by the simulator.
 */
const REGION = 'us-east-1';
const dir = mkdtempSync(join(tmpdir(), 'zs-member-diff-'));
let sim: Simulator;
let keyArn: string;

const base = { hubRegion: REGION, organizationId: ORG_ID, targetOus: [OU_WORKLOADS] };
const configFor = (changes: Record<string, unknown>): InfraConfig => parseInfraConfig({ ...base, hubAccountId: MGMT, managementAccountId: MGMT, ...changes });

function configFile(name: string, changes: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify({ ...base, hubAccountId: MGMT, managementAccountId: MGMT, ...changes }));
  return path;
}

async function diff(
  path: string,
  factory = new ClientFactory({ hubRegion: REGION, sessionName: 'diff-test', endpoint: sim.url, credentials: async () => sim.clientConfig().credentials }),
) {
  let out = '';
  const result = await runMemberRoleDiff({ config: path, output: 'text' }, { stdout: (t) => (out += t), env: process.env, factory });
  return { result, out };
}

beforeAll(async () => {
  sim = await startSmallOrg();
  const keyId = kmsStore(sim.world, MGMT, REGION).createHmacKey({ alias: 'alias/zombie-sweep-archive' });
  keyArn = `arn:aws:kms:${REGION}:${MGMT}:key/${keyId}`;
});
afterAll(async () => {
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('member-role-diff', () => {
  it('builds exactly the template the hub stack puts in the StackSet', () => {
    const config = parseInfraConfig(readConfigFile(EXAMPLE_CONFIG_FILE));
    const synthesized = synthesize(config);
    try {
      const stackSet = Object.values(resourcesOf(synthesized.json, 'AWS::CloudFormation::StackSet'))[0].Properties;
      const parts = (stackSet.TemplateBody['Fn::Join'][1] as unknown[]).map((p) =>
        typeof p === 'string' ? p : 'arn:aws:kms:us-east-1:111111111111:key/deployed',
      );
      expect(JSON.parse(parts.join(''))).toEqual(memberTemplateForConfig(config, 'arn:aws:kms:us-east-1:111111111111:key/deployed'));
    } finally {
      synthesized.cleanup();
    }
  });

  it('says so when the deployed member role already matches the config', async () => {
    const config = configFor({});
    for (const [name, part] of [
      ['zombie-sweep-member-role', 'observe'],
      ['zombie-sweep-member-actions', 'act'],
    ] as const) {
      cloudFormationStore(sim.world, MGMT, REGION).putStackSet({
        name,
        templateBody: JSON.stringify(memberTemplateForConfig(config, keyArn, part)),
        noEcho: ['ExternalId'],
        parameters: { ExternalId: 'x'.repeat(20) },
      });
    }
    const { result, out } = await diff(configFile('same.json', {}));
    expect(hasChanges(result)).toBe(false);
    expect(out).toBe('No changes to the member-account template.\n\nNo changes to the member-account template.\n');
  });

  it('shows a new role and each changed statement an upgrade brings to every member account', async () => {
    const deployed = memberTemplateForConfig(configFor({}), keyArn) as any;
    // What an older release deployed: one statement fewer and a narrower one.
    const readPolicy = deployed.Resources.MemberRole.Properties.Policies[0];
    const statements = readPolicy.PolicyDocument.Statement as any[];
    const dropped = statements.pop();
    statements[0] = { ...statements[0], Action: statements[0].Action.slice(0, 2) };
    cloudFormationStore(sim.world, MGMT, REGION).putStackSet({ name: 'zombie-sweep-member-role', templateBody: JSON.stringify(deployed) });

    const restore = { restoreRole: { enabled: true, trustedPrincipalArns: [`arn:aws:iam::${MGMT}:role/platform-operator`] } };
    const { result, out } = await diff(configFile('upgrade.json', restore));
    expect(result.rolesAdded).toEqual(['RestoreRole']); // the tag and delete roles match: the test above deployed them
    expect(result.statements.filter((s) => s.role === 'MemberRole').map((s) => [s.sid, s.change])).toEqual([
      [statements[0].Sid, 'changed'],
      [dropped.Sid, 'added'],
    ]);
    expect(out).toContain('[+] role RestoreRole (new in every member account)');
    expect(out).toContain(`[~] MemberRole ${readPolicy.PolicyName} statement ${statements[0].Sid} changed`);
    expect(out).toContain(`[+] MemberRole ${readPolicy.PolicyName} statement ${dropped.Sid} added`);
    expect(out).toMatch(/^\+ {3}"Sid": /m);
  });

  it('shows everything as new before the first deploy', async () => {
    const { result, out } = await diff(configFile('fresh.json', { resourcePrefix: 'fresh' }));
    // Both member StackSets: read and snapshot roles, then tag and delete roles.
    expect(result.rolesAdded).toEqual(['MemberRole', 'SnapshotRole', 'TagRole', 'DeleteRole']);
    expect(out).toContain('fresh-member-role is not deployed yet');
    expect(out).toContain('<archive key ARN, created by the first deploy>');
  });

  it('reads a StackSet the hub administers as delegated administrator', async () => {
    const config = configFor({ hubAccountId: DEV });
    for (const [name, part] of [
      ['zombie-sweep-member-role', 'observe'],
      ['zombie-sweep-member-actions', 'act'],
    ] as const) {
      cloudFormationStore(sim.world, DEV, REGION).putStackSet({
        name,
        delegated: true,
        templateBody: JSON.stringify(memberTemplateForConfig(config, '<archive key ARN, created by the first deploy>', part)),
      });
    }
    const creds = await assumeInto(sim, DEV);
    const factory = new ClientFactory({ hubRegion: REGION, sessionName: 'diff-test', endpoint: sim.url, credentials: async () => creds });
    const { result } = await diff(configFile('delegated.json', { hubAccountId: DEV }), factory);
    expect(hasChanges(result)).toBe(false);
  });

  it('compares documents whatever their key order, and names changed role properties', () => {
    const a = {
      Resources: {
        R: {
          Type: 'AWS::IAM::Role',
          Properties: {
            RoleName: 'x',
            MaxSessionDuration: 3600,
            AssumeRolePolicyDocument: { Statement: [{ Sid: 'T', Effect: 'Allow', Action: 'sts:AssumeRole' }] },
          },
        },
      },
    };
    const b = {
      Resources: {
        R: {
          Type: 'AWS::IAM::Role',
          Properties: {
            MaxSessionDuration: 7200,
            RoleName: 'x',
            AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Sid: 'T' }] },
          },
        },
      },
    };
    const result = diffMemberTemplates(a, b);
    expect(result.statements).toEqual([]);
    expect(result.roleProperties).toEqual([{ role: 'R', property: 'MaxSessionDuration', before: 3600, after: 7200 }]);
  });
});

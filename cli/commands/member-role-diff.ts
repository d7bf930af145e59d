import { CloudFormationClient, DescribeStackSetCommand } from '@aws-sdk/client-cloudformation';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { Command } from 'commander';
import { DEFAULT_CONFIG_FILE, hubIsManagement, loadInfraConfig, type InfraConfig } from '../../infra/config.ts';
import { memberTemplateForConfig, type MemberTemplatePart } from '../../infra/member/member-template.ts';
import { hubNames } from '../../infra/names.ts';
import type { ClientFactory } from '../../src/core/clients.ts';
import { errorName } from '../../src/core/errors.ts';
import { diffMemberTemplates, hasChanges, renderDiff, type MemberTemplateDiff } from '../../src/deploy/member-diff.ts';
import { addCredentialOptions, cliClientFactory } from '../shared/credentials.ts';

/**
 * `zombie-sweep member-role-diff --config FILE`: the IAM changes the next `cdk deploy` makes to the
 * role in every member account, statement by statement (deployed StackSet template vs. the one this
 * config builds). Read-only: DescribeStackSet and, for the archive key ARN, KMS DescribeKey.
 * `--exit-code` exits 2 when there are changes, for a pipeline gate.
 */
export interface MemberRoleDiffFlags {
  config: string;
  profile?: string;
  exitCode?: boolean;
  output?: 'text' | 'json';
}

export function registerMemberRoleDiff(program: Command): void {
  const command = program
    .command('member-role-diff')
    .description('Show the IAM changes the next deploy makes to the member role in every target account (deployed StackSet template vs. this config).')
    .option('--config <file>', 'the deployment config', DEFAULT_CONFIG_FILE)
    .option('--exit-code', 'exit 2 when there are changes')
    .option('--output <format>', 'text or json', 'text');
  addCredentialOptions(command);
  command.action(async (flags: MemberRoleDiffFlags) => {
    const diff = await runMemberRoleDiff(flags, { stdout: (t) => process.stdout.write(t), env: process.env });
    if (flags.exitCode && hasChanges(diff)) process.exitCode = 2;
  });
}

/** The deployed StackSet's template, or an empty one before the first deploy. */
async function deployedTemplate(
  cfn: CloudFormationClient,
  config: InfraConfig,
  stackSetName: string,
): Promise<{ template: Record<string, unknown>; deployed: boolean }> {
  try {
    const out = await cfn.send(new DescribeStackSetCommand({ StackSetName: stackSetName, CallAs: hubIsManagement(config) ? 'SELF' : 'DELEGATED_ADMIN' }));
    return { template: JSON.parse(out.StackSet?.TemplateBody ?? '{}') as Record<string, unknown>, deployed: true };
  } catch (error) {
    if (errorName(error) === 'StackSetNotFoundException') return { template: {}, deployed: false };
    throw error;
  }
}

/** The deployed archive key's ARN (the member policy names it); a marker before the first deploy. */
async function archiveKeyArn(kms: KMSClient, config: InfraConfig): Promise<string> {
  try {
    return (await kms.send(new DescribeKeyCommand({ KeyId: hubNames(config).archiveKeyAlias }))).KeyMetadata?.Arn ?? '<archive key ARN>';
  } catch (error) {
    if (errorName(error) === 'NotFoundException') return '<archive key ARN, created by the first deploy>';
    throw error;
  }
}

/** The two member StackSets: read and snapshot roles everywhere, tag and delete roles outside protected accounts. */
function memberStackSets(config: InfraConfig): { name: string; part: MemberTemplatePart }[] {
  const names = hubNames(config);
  return [
    { name: names.memberStackSet, part: 'observe' },
    { name: names.memberActionsStackSet, part: 'act' },
  ];
}

function merge(diffs: readonly MemberTemplateDiff[]): MemberTemplateDiff {
  return {
    rolesAdded: diffs.flatMap((d) => d.rolesAdded),
    rolesRemoved: diffs.flatMap((d) => d.rolesRemoved),
    statements: diffs.flatMap((d) => d.statements),
    roleProperties: diffs.flatMap((d) => d.roleProperties),
    other: diffs.flatMap((d) => d.other),
  };
}

export async function runMemberRoleDiff(
  flags: MemberRoleDiffFlags,
  io: { stdout: (text: string) => void; env: NodeJS.ProcessEnv; factory?: ClientFactory },
): Promise<MemberTemplateDiff> {
  const config = loadInfraConfig(flags.config);
  const factory = io.factory ?? cliClientFactory({ profile: flags.profile, env: io.env, sessionName: 'zombie-sweep-member-role-diff' });
  const cfn = factory.hub(CloudFormationClient, config.hubRegion);
  const keyArn = await archiveKeyArn(factory.hub(KMSClient, config.hubRegion), config);
  const parts = await Promise.all(
    memberStackSets(config).map(async ({ name, part }) => {
      const current = await deployedTemplate(cfn, config, name);
      return { name, deployed: current.deployed, diff: diffMemberTemplates(current.template, memberTemplateForConfig(config, keyArn, part)) };
    }),
  );
  const diff = merge(parts.map((p) => p.diff));
  if (flags.output === 'json')
    io.stdout(`${JSON.stringify({ deployed: parts.every((p) => p.deployed), changes: hasChanges(diff), diff, stackSets: parts }, null, 2)}\n`);
  else io.stdout(parts.map((p) => `${p.deployed ? '' : `StackSet ${p.name} is not deployed yet: everything below is new.\n`}${renderDiff(p.diff)}`).join('\n'));
  return diff;
}

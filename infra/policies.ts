import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { capabilityRoleName } from '../src/core/capabilities.ts';

/**
 * Loads the IAM, bucket, key and SCP documents in policies/ (the single source of truth) and fills
 * their `${Placeholder}` tokens. Three kinds of `${...}` live in those files and only the first is ours:
 * - `${PascalCase}`: filled here (ArchiveBucket, OrgId, ...); an unknown or missing one is an error,
 * - `${aws:...}` / `${s3:...}`: IAM policy variables, evaluated by AWS at request time,
 * - `${AWS::AccountId}` / `${AWS::Region}`: CloudFormation pseudo parameters, filled per member account
 *   by the StackSet (see member-template.ts), or by `resolvePseudoParameters` in tests.
 */
export const POLICIES_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

export type PolicyValue = string | readonly string[];
export type PolicyVars = Readonly<Record<string, PolicyValue>>;
export type PolicyJson = { Version?: string; Statement: Array<Record<string, unknown>> } & Record<string, unknown>;

const PLACEHOLDER = /\$\{([A-Z][A-Za-z0-9]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([A-Z][A-Za-z0-9]*)\}$/;

export function policyFileNames(): string[] {
  return readdirSync(POLICIES_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort();
}

export function readPolicyFile(name: string): PolicyJson {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  const parsed = JSON.parse(readFileSync(join(POLICIES_DIR, file), 'utf8')) as unknown;
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as PolicyJson).Statement)) {
    throw new Error(`policies/${file}: not a policy document (no Statement array)`);
  }
  return parsed as PolicyJson;
}

/** Every `${PascalCase}` placeholder a document uses. */
export function placeholdersIn(doc: unknown): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === 'string') for (const match of node.matchAll(PLACEHOLDER)) found.add(match[1]!);
    else if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') Object.entries(node).forEach(([key, value]) => (visit(key), visit(value)));
  };
  visit(doc);
  return found;
}

/** Fills `${PascalCase}` placeholders in any document (loadPolicy does this for files in policies/). */
export function fill(node: unknown, vars: PolicyVars, file: string): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(node);
    if (whole) {
      const value = vars[whole[1]!];
      if (value === undefined) throw new Error(`policies/${file}: no value for placeholder \${${whole[1]}}`);
      return typeof value === 'string' ? value : [...value];
    }
    return node.replace(PLACEHOLDER, (_match, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`policies/${file}: no value for placeholder \${${name}}`);
      if (typeof value !== 'string') throw new Error(`policies/${file}: placeholder \${${name}} is a list and must be a whole value`);
      return value;
    });
  }
  if (Array.isArray(node))
    return node.flatMap((item) => {
      const filled = fill(item, vars, file);
      // A list placeholder inside a list (["${A}", "x"]) flattens, as IAM expects a flat list of values.
      return Array.isArray(filled) && typeof item === 'string' ? filled : [filled];
    });
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [fill(key, vars, file) as string, fill(value, vars, file)]));
  }
  return node;
}

/** Reads policies/<name>.json and fills its placeholders; throws naming the file and placeholder when a value is missing. */
export function loadPolicy(name: string, vars: PolicyVars): PolicyJson {
  const file = name.endsWith('.json') ? name : `${name}.json`;
  return fill(readPolicyFile(file), vars, file) as PolicyJson;
}

/** Replaces CloudFormation pseudo parameters with concrete values (what the StackSet does per account). */
export function resolvePseudoParameters<T>(doc: T, values: { accountId: string; region?: string; partition?: string }): T {
  const text = JSON.stringify(doc)
    .replaceAll('${AWS::AccountId}', values.accountId)
    .replaceAll('${AWS::Region}', values.region ?? 'us-east-1')
    .replaceAll('${AWS::Partition}', values.partition ?? 'aws');
  return JSON.parse(text) as T;
}

/** The statements of a document, for merging into a CDK-managed key or bucket policy. */
export function statementsOf(doc: PolicyJson): Array<Record<string, unknown>> {
  return doc.Statement;
}

/**
 * `aws:PrincipalOrgPaths` patterns of every account anywhere below a protected OU: a member session there
 * carries its account's path, so the tag and delete capabilities refuse everything in nested protected OUs,
 * which the StackSet's account filter cannot subtract. With none, a pattern no org path can match keeps the
 * statement valid and inert.
 */
export function protectedOrgPaths(organizationId: string | undefined, ouIds: readonly string[]): string[] {
  if (!organizationId || ouIds.length === 0) return ['no-protected-organizational-unit'];
  return ouIds.map((ou) => `${organizationId}/*/${ou}/*`);
}

/**
 * Placeholder values naming the member capability roles (src/core/capabilities.ts derives them from
 * the configured member role name) and the regions member sessions may act in: the swept regions plus
 * the hub region (archive copies, region listing), or every region when the sweep covers them all.
 */
export function memberPolicyVars(input: {
  memberRoleName: string;
  regions: 'all' | readonly string[];
  hubRegion: string;
  organizationId?: string;
  protected?: { ouIds: readonly string[] };
}): Record<string, string | string[]> {
  return {
    ProtectedOrgPaths: protectedOrgPaths(input.organizationId, input.protected?.ouIds ?? []),
    MemberRoleName: capabilityRoleName(input.memberRoleName, 'read'),
    MemberSnapshotRoleName: capabilityRoleName(input.memberRoleName, 'snapshot'),
    MemberTagRoleName: capabilityRoleName(input.memberRoleName, 'tag'),
    MemberDeleteRoleName: capabilityRoleName(input.memberRoleName, 'delete'),
    MemberRegions: input.regions === 'all' ? ['*'] : [...new Set([...input.regions, input.hubRegion])].sort(),
  };
}

/** The statement each capability document keys its `zombie-protected` refusal on (policies/member-{tag,delete}-policy.json). */
const PROTECTED_TAG_STATEMENTS = new Set(['NeverTagProtectedResources', 'NeverDeleteProtectedResources']);

/**
 * The configured protected tags (`protected.tags`, key → value) as IAM refusals: for each tag, a copy of
 * the document's own `zombie-protected` refusal (same actions) conditioned on that tag and value, so the
 * action lists stay written once, in policies/. Tag keys in condition keys match case-insensitively, as
 * the domain check does; values exactly.
 */
export function withProtectedTags(doc: PolicyJson, tags: Readonly<Record<string, string>>): PolicyJson {
  const entries = Object.entries(tags);
  if (entries.length === 0) return doc;
  const extra = doc.Statement.filter((statement) => PROTECTED_TAG_STATEMENTS.has(String(statement.Sid))).flatMap((statement) =>
    entries.map(([key, value], index) => ({
      ...statement,
      Sid: `${String(statement.Sid)}ByConfiguredTag${index + 1}`,
      Condition: { StringEquals: { [`aws:ResourceTag/${key}`]: value } },
    })),
  );
  return { ...doc, Statement: [...doc.Statement, ...extra] };
}

/**
 * What changes in member accounts when the member-role StackSet template changes: the IAM roles'
 * trust policies, inline policy statements (by Sid) and managed policies, plus any other resource.
 * The StackSet body is one string property of the hub stack, so `cdk diff` shows it only as an opaque
 * string change and never in its IAM table; this compares the deployed body with the one the config
 * builds, statement by statement. Pure: both templates are parsed JSON objects.
 */
export interface StatementChange {
  role: string;
  /** `trust`, or the inline policy name. */
  document: string;
  sid: string;
  change: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface MemberTemplateDiff {
  rolesAdded: string[];
  rolesRemoved: string[];
  statements: StatementChange[];
  /** Role properties other than the documents (name, session duration, managed policies...). */
  roleProperties: Array<{ role: string; property: string; before: unknown; after: unknown }>;
  /** Non-role resources, parameters and outputs that differ, by section/logical id. */
  other: string[];
}

type Template = { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>; Parameters?: unknown; Outputs?: unknown };
type Statement = { Sid?: string } & Record<string, unknown>;

/** JSON with sorted keys, so two equal documents compare equal whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const roles = (t: Template) => Object.fromEntries(Object.entries(t.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::IAM::Role'));

function statementsOf(doc: unknown): Map<string, Statement> {
  const list = (doc as { Statement?: Statement[] } | undefined)?.Statement ?? [];
  return new Map(list.map((s, i) => [s.Sid ?? `#${i + 1}`, s]));
}

function documentsOf(props: Record<string, unknown> = {}): Map<string, unknown> {
  const docs = new Map<string, unknown>([['trust', props.AssumeRolePolicyDocument]]);
  for (const p of (props.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []) docs.set(p.PolicyName, p.PolicyDocument);
  return docs;
}

function diffDocuments(role: string, before: Record<string, unknown> = {}, after: Record<string, unknown> = {}): StatementChange[] {
  const changes: StatementChange[] = [];
  const oldDocs = documentsOf(before);
  const newDocs = documentsOf(after);
  for (const document of new Set([...oldDocs.keys(), ...newDocs.keys()])) {
    const oldStatements = statementsOf(oldDocs.get(document));
    const newStatements = statementsOf(newDocs.get(document));
    for (const sid of new Set([...oldStatements.keys(), ...newStatements.keys()])) {
      const a = oldStatements.get(sid);
      const b = newStatements.get(sid);
      if (a && !b) changes.push({ role, document, sid, change: 'removed', before: a });
      else if (!a && b) changes.push({ role, document, sid, change: 'added', after: b });
      else if (canonical(a) !== canonical(b)) changes.push({ role, document, sid, change: 'changed', before: a, after: b });
    }
  }
  return changes;
}

export function diffMemberTemplates(deployed: Template, proposed: Template): MemberTemplateDiff {
  const oldRoles = roles(deployed);
  const newRoles = roles(proposed);
  const diff: MemberTemplateDiff = { rolesAdded: [], rolesRemoved: [], statements: [], roleProperties: [], other: [] };
  for (const id of new Set([...Object.keys(oldRoles), ...Object.keys(newRoles)])) {
    const before = oldRoles[id]?.Properties;
    const after = newRoles[id]?.Properties;
    if (!before) diff.rolesAdded.push(id);
    if (!after) diff.rolesRemoved.push(id);
    diff.statements.push(...diffDocuments(id, before, after));
    if (!before || !after) continue;
    for (const property of new Set([...Object.keys(before), ...Object.keys(after)])) {
      if (property === 'AssumeRolePolicyDocument' || property === 'Policies') continue;
      if (canonical(before[property]) !== canonical(after[property]))
        diff.roleProperties.push({ role: id, property, before: before[property], after: after[property] });
    }
  }
  const others = (t: Template) => ({
    ...Object.fromEntries(
      Object.entries(t.Resources ?? {})
        .filter(([, r]) => r.Type !== 'AWS::IAM::Role')
        .map(([id, r]) => [`Resources.${id}`, r]),
    ),
    Parameters: t.Parameters,
    Outputs: t.Outputs,
  });
  const a = others(deployed) as Record<string, unknown>;
  const b = others(proposed) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (canonical(a[key]) !== canonical(b[key])) diff.other.push(key);
  return diff;
}

export function hasChanges(diff: MemberTemplateDiff): boolean {
  return diff.rolesAdded.length + diff.rolesRemoved.length + diff.statements.length + diff.roleProperties.length + diff.other.length > 0;
}

/** Review text: one block per change, the statement JSON with - / + lines. */
export function renderDiff(diff: MemberTemplateDiff): string {
  if (!hasChanges(diff)) return 'No changes to the member-account template.\n';
  const lines: string[] = [];
  const json = (prefix: string, value: unknown) =>
    JSON.stringify(value, null, 2)
      .split('\n')
      .map((l) => `${prefix} ${l}`);
  for (const role of diff.rolesAdded) lines.push(`[+] role ${role} (new in every member account)`);
  for (const role of diff.rolesRemoved) lines.push(`[-] role ${role} (deleted from every member account)`);
  for (const c of diff.statements) {
    lines.push(`[${c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~'}] ${c.role} ${c.document} statement ${c.sid} ${c.change}`);
    if (c.before !== undefined) lines.push(...json('-', c.before));
    if (c.after !== undefined) lines.push(...json('+', c.after));
  }
  for (const p of diff.roleProperties) lines.push(`[~] ${p.role} ${p.property}: ${JSON.stringify(p.before)} -> ${JSON.stringify(p.after)}`);
  for (const key of diff.other) lines.push(`[~] ${key} changed`);
  return `${lines.join('\n')}\n`;
}

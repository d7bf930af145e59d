import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgment {
  /** Rule id, narrowed to one finding where the rule reports several: `AwsSolutions-IAM5[Resource::*]`. */
  id: string;
  /** Why this finding is acceptable here, specific to this resource (reviewed by a test). */
  reason: string;
}

/** Minimum length of an acknowledgment reason: long enough that "n/a" or "not needed" cannot pass review. */
export const MIN_REASON_LENGTH = 40;

/**
 * Acknowledges cdk-nag findings on one construct (and its children). Each acknowledgment names a
 * single rule or finding and a reason specific to the resource; blanket stack-level acknowledgments
 * are not used.
 */
export function suppress(scope: IConstruct, acknowledgments: readonly NagAcknowledgment[]): void {
  for (const ack of acknowledgments) {
    if (ack.reason.trim().length < MIN_REASON_LENGTH) {
      throw new Error(`cdk-nag acknowledgment ${ack.id} on ${scope.node.path} needs a specific reason (>= ${MIN_REASON_LENGTH} characters)`);
    }
    Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
  }
}

type Statement = { Sid?: string; Effect?: string; Action?: string | string[]; Resource?: unknown };

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Acknowledges each AwsSolutions-IAM5 finding a role's policies/ documents produce, with the reasons
 * of the statements (by Sid) that produce it (infra/wildcard-reasons.ts). Findings are computed the
 * way cdk-nag computes them: `Action::<action>` and `Resource::<flattened resource>` per Allow
 * statement holding a `*`. A wildcard statement without a reviewed reason throws.
 */
export function acknowledgeWildcards(role: IConstruct, documents: readonly unknown[], reasons: Readonly<Record<string, string>>): void {
  const stack = Stack.of(role);
  const byFinding = new Map<string, Set<string>>();
  for (const document of documents) {
    const resolved = stack.resolve(document) as { Statement?: Statement[] };
    for (const statement of resolved.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      const findings = [
        ...asArray(statement.Action)
          .filter((action) => action.includes('*'))
          .map((action) => `Action::${action}`),
        ...asArray(statement.Resource)
          .map((resource) => flattenCfnReference(resource))
          .filter((resource) => resource.includes('*'))
          .map((resource) => `Resource::${resource}`),
      ];
      if (findings.length === 0) continue;
      const reason = statement.Sid ? reasons[statement.Sid] : undefined;
      if (!reason) throw new Error(`${role.node.path}: wildcard statement ${statement.Sid ?? '(no Sid)'} has no reviewed reason in infra/wildcard-reasons.ts`);
      for (const finding of findings) {
        const set = byFinding.get(finding) ?? new Set<string>();
        set.add(`${statement.Sid}: ${reason}`);
        byFinding.set(finding, set);
      }
    }
  }
  suppress(
    role,
    [...byFinding.entries()].map(([finding, why]) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: [...why].join(' | ') })),
  );
}

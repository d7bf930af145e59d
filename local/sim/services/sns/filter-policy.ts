/**
 * SNS subscription filter policies, evaluated as AWS documents them
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html and the pages it links:
 * string value matching, numeric value matching, key matching, AND/OR logic):
 * - every policy key must match (AND); the conditions listed for a key are alternatives (OR); `$or` splits a policy;
 * - exact strings and numbers, `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (values, prefix, suffix),
 *   `numeric` ranges and equality, `exists`;
 * - a String.Array attribute (or a JSON array in the body) matches when any element matches;
 * - an absent attribute matches nothing but `{"exists": false}`; Binary attributes cannot be filtered on.
 */

export type FilterScope = 'MessageAttributes' | 'MessageBody';
type Primitive = string | number | boolean | null;
type Lookup = (path: string[]) => Primitive[] | undefined;

export class FilterPolicyError extends Error {}

const MAX_KEYS = 5;
const MAX_COMBINATIONS = 150;
const OPERATORS = new Set(['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists']);

/** Parses and validates a policy; throws FilterPolicyError with AWS-like wording. */
export function parseFilterPolicy(json: string, scope: FilterScope): Record<string, unknown> {
  let policy: unknown;
  try {
    policy = JSON.parse(json);
  } catch {
    throw new FilterPolicyError('failed to parse JSON.');
  }
  if (!isObject(policy)) throw new FilterPolicyError('Filter policy must be a JSON object.');
  const { keys, combinations } = validate(policy, scope, 0);
  if (keys > MAX_KEYS) throw new FilterPolicyError(`Filter policy can not have more than ${MAX_KEYS} keys.`);
  if (combinations > MAX_COMBINATIONS) throw new FilterPolicyError('Filter policy is too complex.');
  return policy;
}

function validate(policy: Record<string, unknown>, scope: FilterScope, depth: number): { keys: number; combinations: number } {
  let keys = 0;
  let combinations = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every(isObject))
        throw new FilterPolicyError('$or must be an array of at least two filter policies.');
      const branches = value.map((branch) => validate(branch, scope, depth));
      keys += Math.max(...branches.map((b) => b.keys));
      combinations *= branches.reduce((sum, b) => sum + b.combinations, 0);
    } else if (isObject(value)) {
      if (scope === 'MessageAttributes')
        throw new FilterPolicyError(`Filter policy scope MessageAttributes does not support nested filter policy (key "${key}").`);
      const nested = validate(value, scope, depth + 1);
      keys += nested.keys;
      combinations *= nested.combinations;
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new FilterPolicyError(`Empty array for key "${key}".`);
      value.forEach((condition) => validateCondition(key, condition, scope));
      keys += 1;
      combinations *= value.length;
    } else {
      throw new FilterPolicyError(`"${key}" must be an object or an array.`);
    }
  }
  return { keys, combinations };
}

function validateCondition(key: string, condition: unknown, scope: FilterScope): void {
  if (typeof condition === 'string' || (typeof condition === 'number' && Number.isFinite(condition))) return;
  if ((condition === null || typeof condition === 'boolean') && scope === 'MessageBody') return;
  if (!isObject(condition)) throw new FilterPolicyError(`Match value must be String, number, true, false, or null (key "${key}").`);
  const entries = Object.entries(condition);
  if (entries.length !== 1) throw new FilterPolicyError(`Only one key allowed in match expression (key "${key}").`);
  const [operator, operand] = entries[0]!;
  if (!OPERATORS.has(operator)) throw new FilterPolicyError(`Unrecognized match type ${operator}`);
  switch (operator) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new FilterPolicyError(`${operator} match pattern must be a string`);
      return;
    case 'exists':
      if (typeof operand !== 'boolean') throw new FilterPolicyError('exists match pattern must be either true or false.');
      return;
    case 'numeric':
      numericRange(operand);
      return;
    case 'anything-but': {
      if (typeof operand === 'string' || typeof operand === 'number') return;
      if (Array.isArray(operand) && operand.length > 0 && operand.every((v) => typeof v === 'string' || typeof v === 'number')) return;
      if (isObject(operand)) {
        const inner = Object.entries(operand);
        if (inner.length === 1 && ['prefix', 'suffix'].includes(inner[0]![0]) && typeof inner[0]![1] === 'string') return;
      }
      throw new FilterPolicyError('Value of anything-but must be an array or single string/number value, or a prefix/suffix match.');
    }
  }
}

type Comparison = { op: '=' | '<' | '<=' | '>' | '>='; value: number };

function numericRange(operand: unknown): Comparison[] {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4))
    throw new FilterPolicyError('Value of numeric must be an array of one or two comparisons.');
  const out: Comparison[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const value = operand[i + 1];
    if (!['=', '<', '<=', '>', '>='].includes(op as string)) throw new FilterPolicyError(`Unrecognized numeric range operator: ${String(op)}`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new FilterPolicyError(`Value of ${String(op)} must be numeric`);
    out.push({ op: op as Comparison['op'], value });
  }
  if (out.length === 2) {
    const [low, high] = out as [Comparison, Comparison];
    if (!['>', '>='].includes(low.op) || !['<', '<='].includes(high.op) || low.value >= high.value)
      throw new FilterPolicyError('Bad numeric range: give a lower bound (>, >=) then a higher upper bound (<, <=).');
  }
  return out;
}

/** True when a message (its attributes, or its JSON body) is accepted by the policy. */
export function matchesFilterPolicy(
  policy: Record<string, unknown>,
  scope: FilterScope,
  message: { body: string; attributes: Record<string, { Type: string; Value: string }> },
): boolean {
  if (scope === 'MessageAttributes') return matches(policy, [], (path) => attributeValues(message.attributes[path[0]!]));
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    // A body that is not JSON has no properties: only a policy with no keys accepts it.
    return Object.keys(policy).length === 0;
  }
  return matches(policy, [], (path) => bodyValues(body, path));
}

function matches(policy: Record<string, unknown>, prefix: string[], lookup: Lookup): boolean {
  return Object.entries(policy).every(([key, value]) => {
    if (key === '$or') return (value as Record<string, unknown>[]).some((branch) => matches(branch, prefix, lookup));
    const path = [...prefix, key];
    if (isObject(value)) return matches(value, path, lookup);
    const values = lookup(path);
    return (value as unknown[]).some((condition) => conditionMatches(condition, values));
  });
}

function conditionMatches(condition: unknown, values: Primitive[] | undefined): boolean {
  if (isObject(condition) && 'exists' in condition) return condition.exists === (values !== undefined);
  if (values === undefined) return false;
  return values.some((value) => valueMatches(condition, value));
}

function valueMatches(condition: unknown, value: Primitive): boolean {
  if (!isObject(condition)) return condition === value;
  const [operator, operand] = Object.entries(condition)[0]!;
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(operand as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(operand as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (operand as string).toLowerCase();
    case 'numeric':
      return typeof value === 'number' && numericRange(operand).every((c) => compare(value, c));
    case 'anything-but': {
      if (isObject(operand)) {
        const [kind, pattern] = Object.entries(operand)[0]! as [string, string];
        return typeof value === 'string' && !(kind === 'prefix' ? value.startsWith(pattern) : value.endsWith(pattern));
      }
      const excluded = Array.isArray(operand) ? operand : [operand];
      return !excluded.includes(value);
    }
    default:
      return false;
  }
}

function compare(value: number, c: Comparison): boolean {
  switch (c.op) {
    case '=':
      return value === c.value;
    case '<':
      return value < c.value;
    case '<=':
      return value <= c.value;
    case '>':
      return value > c.value;
    case '>=':
      return value >= c.value;
  }
}

function attributeValues(attribute: { Type: string; Value: string } | undefined): Primitive[] | undefined {
  if (!attribute) return undefined;
  const base = attribute.Type.split('.')[0];
  if (attribute.Type.startsWith('String.Array')) {
    const parsed = JSON.parse(attribute.Value) as unknown[];
    return parsed.filter((v): v is Primitive => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  }
  if (base === 'Number') return [Number(attribute.Value)];
  if (base === 'String') return [attribute.Value];
  return undefined;
}

function bodyValues(body: unknown, path: string[]): Primitive[] | undefined {
  let node: unknown = body;
  for (const key of path) {
    if (!isObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  if (Array.isArray(node)) return node.filter((v): v is Primitive => !isObject(v) && !Array.isArray(v));
  if (isObject(node)) return undefined;
  return [node as Primitive];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

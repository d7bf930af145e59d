import { describe, expect, it } from 'vitest';
import { FilterPolicyError, matchesFilterPolicy, parseFilterPolicy, type FilterScope } from '../../local/sim/services/sns/filter-policy.ts';

type Attrs = Record<string, { Type: string; Value: string }>;
const str = (Value: string) => ({ Type: 'String', Value });
const num = (Value: number) => ({ Type: 'Number', Value: String(Value) });
const arr = (values: unknown[]) => ({ Type: 'String.Array', Value: JSON.stringify(values) });

function accepts(policy: unknown, attributes: Attrs, scope: FilterScope = 'MessageAttributes', body = ''): boolean {
  return matchesFilterPolicy(parseFilterPolicy(JSON.stringify(policy), scope), scope, { body, attributes });
}

describe('SNS filter policies on message attributes', () => {
  it('matches exact strings as alternatives, and every key (AND)', () => {
    const policy = { kind: ['approval', 'report'], env: ['prod'] };
    expect(accepts(policy, { kind: str('approval'), env: str('prod') })).toBe(true);
    expect(accepts(policy, { kind: str('report'), env: str('prod'), extra: str('ignored') })).toBe(true);
    expect(accepts(policy, { kind: str('approval'), env: str('dev') })).toBe(false);
    expect(accepts(policy, { kind: str('approval') })).toBe(false);
    expect(accepts(policy, { kind: str('Approval'), env: str('prod') })).toBe(false);
  });

  it('supports prefix, suffix and equals-ignore-case', () => {
    expect(accepts({ account: [{ prefix: '1111' }] }, { account: str('111122223333') })).toBe(true);
    expect(accepts({ account: [{ prefix: '2222' }] }, { account: str('111122223333') })).toBe(false);
    expect(accepts({ file: [{ suffix: '.tar.gz' }] }, { file: str('model.tar.gz') })).toBe(true);
    expect(accepts({ team: [{ 'equals-ignore-case': 'ml-platform' }] }, { team: str('ML-Platform') })).toBe(true);
  });

  it('anything-but excludes values or prefixes, and needs the attribute to be present', () => {
    const policy = { env: [{ 'anything-but': ['dev', 'test'] }] };
    expect(accepts(policy, { env: str('prod') })).toBe(true);
    expect(accepts(policy, { env: str('dev') })).toBe(false);
    expect(accepts(policy, {})).toBe(false);
    expect(accepts({ env: [{ 'anything-but': 'dev' }] }, { env: str('prod') })).toBe(true);
    expect(accepts({ name: [{ 'anything-but': { prefix: 'tmp-' } }] }, { name: str('tmp-1') })).toBe(false);
    expect(accepts({ name: [{ 'anything-but': { prefix: 'tmp-' } }] }, { name: str('keep') })).toBe(true);
  });

  it('exists true/false tests presence only', () => {
    expect(accepts({ approver: [{ exists: true }] }, { approver: str('alice') })).toBe(true);
    expect(accepts({ approver: [{ exists: true }] }, {})).toBe(false);
    expect(accepts({ approver: [{ exists: false }] }, {})).toBe(true);
    expect(accepts({ approver: [{ exists: false }] }, { approver: str('alice') })).toBe(false);
  });

  it('compares Number attributes numerically and never as strings', () => {
    const costly = { cost: [{ numeric: ['>=', 100, '<', 1000] }] };
    expect(accepts(costly, { cost: num(100) })).toBe(true);
    expect(accepts(costly, { cost: num(999.5) })).toBe(true);
    expect(accepts(costly, { cost: num(1000) })).toBe(false);
    expect(accepts(costly, { cost: str('500') })).toBe(false);
    expect(accepts({ cost: [250] }, { cost: num(250.0) })).toBe(true);
    expect(accepts({ cost: ['250'] }, { cost: num(250) })).toBe(false);
    expect(accepts({ cost: [{ numeric: ['=', 0] }] }, { cost: num(0) })).toBe(true);
  });

  it('matches a String.Array when any element matches', () => {
    expect(accepts({ regions: ['eu-west-1'] }, { regions: arr(['us-east-1', 'eu-west-1']) })).toBe(true);
    expect(accepts({ regions: [{ prefix: 'ap-' }] }, { regions: arr(['us-east-1', 'eu-west-1']) })).toBe(false);
    expect(accepts({ counts: [{ numeric: ['>', 2] }] }, { counts: arr([1, 3]) })).toBe(true);
  });

  it('never filters on Binary attributes', () => {
    expect(accepts({ blob: [{ exists: true }] }, { blob: { Type: 'Binary', Value: 'AQI=' } })).toBe(false);
  });

  it('splits a policy with $or', () => {
    const policy = { source: ['sweep'], $or: [{ kind: ['approval'] }, { cost: [{ numeric: ['>', 1000] }] }] };
    expect(accepts(policy, { source: str('sweep'), kind: str('approval') })).toBe(true);
    expect(accepts(policy, { source: str('sweep'), kind: str('report'), cost: num(5000) })).toBe(true);
    expect(accepts(policy, { source: str('sweep'), kind: str('report'), cost: num(10) })).toBe(false);
  });
});

describe('SNS filter policies on the message body', () => {
  it('follows nested keys into the JSON body', () => {
    const policy = { detail: { verdict: ['zombie'], cost: [{ numeric: ['>', 10] }] } };
    expect(accepts(policy, {}, 'MessageBody', JSON.stringify({ detail: { verdict: 'zombie', cost: 42 } }))).toBe(true);
    expect(accepts(policy, {}, 'MessageBody', JSON.stringify({ detail: { verdict: 'active', cost: 42 } }))).toBe(false);
    expect(accepts(policy, {}, 'MessageBody', 'not json')).toBe(false);
    expect(accepts({ tags: ['a'] }, {}, 'MessageBody', JSON.stringify({ tags: ['b', 'a'] }))).toBe(true);
  });
});

describe('SNS filter policy validation', () => {
  const invalid =
    (policy: string, scope: FilterScope = 'MessageAttributes') =>
    () =>
      parseFilterPolicy(policy, scope);
  it('rejects malformed policies with a reason', () => {
    expect(invalid('{not json')).toThrow(FilterPolicyError);
    expect(invalid('["a"]')).toThrow(/JSON object/);
    expect(invalid('{"a": "b"}')).toThrow(/object or an array/);
    expect(invalid('{"a": {"b": ["c"]}}')).toThrow(/does not support nested/);
    expect(invalid('{"a": {"b": ["c"]}}', 'MessageBody')).not.toThrow();
    expect(invalid('{"a": [{"wildcard": "x*"}]}')).toThrow(/Unrecognized match type wildcard/);
    expect(invalid('{"a": [{"numeric": ["<", 5, ">", 1]}]}')).toThrow(/numeric range/);
    expect(invalid('{"a": [{"exists": "yes"}]}')).toThrow(/exists/);
    expect(invalid('{"a": []}')).toThrow(/Empty array/);
    expect(invalid('{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}')).toThrow(/more than 5 keys/);
    const wide = JSON.stringify({ a: Array.from({ length: 13 }, (_, i) => `v${i}`), b: Array.from({ length: 13 }, (_, i) => `v${i}`) });
    expect(invalid(wide)).toThrow(/too complex/);
  });
});

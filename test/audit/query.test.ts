import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.ts';
import { csvCell, formatAuditOutput, formatCsv, matchesQuery, parseAuditQuery, startAfterFor, tagChanges, timelineRows } from '../../src/audit/query.ts';

const event = (over: Partial<AuditEvent>): AuditEvent => ({ eventId: 'e', type: 'tagged', at: '2025-01-01T00:00:00.000Z', actor: 'zombie-sweep', ...over });

describe('audit query flags', () => {
  it('splits an endpoint ARN into account, region and name', () => {
    expect(parseAuditQuery({ endpoint: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud-v2', output: 'json' })).toEqual({
      output: 'json',
      endpoint: { name: 'fraud-v2', accountId: '123456789012', region: 'eu-west-1', arn: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/fraud-v2' },
    });
    expect(parseAuditQuery({ endpoint: 'fraud-v2', since: '2025-01-31' })).toMatchObject({
      output: 'table',
      endpoint: { name: 'fraud-v2' },
      since: new Date('2025-01-31T00:00:00Z'),
    });
  });
  it('names the flag in every error', () => {
    expect(() => parseAuditQuery({ endpoint: 'not an endpoint!' })).toThrow(/^invalid --endpoint/);
    expect(() => parseAuditQuery({ since: '2025-02-30' })).toThrow('invalid --since: is not a real date (got "2025-02-30")');
    expect(() => parseAuditQuery({ output: 'xml' as never })).toThrow(/^invalid --output/);
    expect(() => parseAuditQuery({ region: 'moon-1' })).toThrow(/^invalid --endpoint-region/);
  });
  it('uses the time-ordered keys to skip older events', () => {
    expect(startAfterFor('audit/endpoints/1/r/e/', new Date('2025-01-31T12:00:00Z'))).toBe('audit/endpoints/1/r/e/2025-01-31T12-00-00-000Z');
    expect('audit/endpoints/1/r/e/2025-01-31T12-00-00-000Z-tagged-1234.json' > startAfterFor('audit/endpoints/1/r/e/', new Date('2025-01-31T12:00:00Z'))!).toBe(
      true,
    );
  });
  it('filters on every given criterion', () => {
    const q = parseAuditQuery({ account: '123456789012', sweep: 'sweep-1', since: '2025-01-01' });
    expect(matchesQuery(event({ accountId: '123456789012', sweepId: 'sweep-1' }), q)).toBe(true);
    expect(matchesQuery(event({ accountId: '123456789012', sweepId: 'sweep-2' }), q)).toBe(false);
    expect(matchesQuery(event({ accountId: '123456789012', sweepId: 'sweep-1', at: '2024-12-31T23:59:59.999Z' }), q)).toBe(false);
  });
});

describe('audit formatting', () => {
  it('describes tag changes in words', () => {
    expect(tagChanges({ a: '1', b: '2', zombie: 'confirmed' }, { a: '1', b: '3', c: '4' })).toEqual([
      'changed b: 2 -> 3',
      'set c=4',
      'removed zombie (was confirmed)',
    ]);
  });
  it('shows a tag change made outside zombie-sweep between two events', () => {
    const rows = timelineRows([
      event({ at: '2025-01-01T00:00:00.000Z', tagsBefore: {}, tagsAfter: { zombie: 'confirmed' } }),
      event({ at: '2025-01-02T00:00:00.000Z', type: 'skipped', tagsBefore: {}, tagsAfter: {}, reason: 'tag removed' }),
    ]);
    expect(rows.map((r) => r.event)).toEqual(['tagged', '(tags changed outside zombie-sweep)', 'skipped']);
    expect(rows[1]!.changes).toEqual(['removed zombie (was confirmed)']);
  });
  it('guards CSV cells against formula injection and quotes per RFC 4180', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(formatCsv([event({ reason: 'line\nbreak' })]).split('\r\n')[1]).toContain('"line\nbreak"');
  });
  it('prints one timeline per account and region for a bare endpoint name', () => {
    const out = formatAuditOutput(
      [
        event({ accountId: '111111111111', region: 'us-east-1', endpointName: 'x', endpointArn: 'arn:1' }),
        event({ accountId: '222222222222', region: 'us-east-1', endpointName: 'x', endpointArn: 'arn:2' }),
      ],
      parseAuditQuery({ endpoint: 'x' }),
    );
    expect(out).toContain('Tag history of arn:1');
    expect(out).toContain('Tag history of arn:2');
    expect(formatAuditOutput([], parseAuditQuery({ endpoint: 'x' }))).toBe('No audit events for x.\n');
  });
});

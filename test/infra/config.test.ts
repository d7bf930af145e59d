import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EXAMPLE_CONFIG_FILE,
  MINIMAL_CONFIG_FILE,
  SWEEP_WORK_BUDGET_SECONDS,
  applyContextOverrides,
  loadInfraConfig,
  parseInfraConfig,
  readConfigFile,
  sweepTimeoutSeconds,
} from '../../infra/config.ts';
import { InputValidationError } from '../../src/core/errors.ts';

const example = () => readConfigFile(EXAMPLE_CONFIG_FILE);
const dir = mkdtempSync(join(tmpdir(), 'zs-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(raw: unknown): InputValidationError {
  try {
    parseInfraConfig(raw);
  } catch (error) {
    if (error instanceof InputValidationError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('deployment config', () => {
  it('accepts the example file and fills defaults', () => {
    const config = loadInfraConfig(EXAMPLE_CONFIG_FILE);
    expect(config.hubAccountId).toBe('111111111111');
    expect(config.memberRoleName).toBe('ZombieSweepMemberRole');
    expect(config.restoreRole.enabled).toBe(false);
    // Off unless configured, as the deploy guide says: the first sweep is run by hand.
    expect(config.schedule).toBeUndefined();
    expect(config.approvalApi.cloudWatchRole).toBe('create');
    expect(config.externalIdSecret).toBeUndefined();
  });

  it('accepts the minimal file with only the ids, filling every default', () => {
    const config = loadInfraConfig(MINIMAL_CONFIG_FILE);
    expect(config).toMatchObject({
      resourcePrefix: 'zombie-sweep',
      regions: 'all',
      approvers: [],
      memberRoleName: 'ZombieSweepMemberRole',
      approvalApi: { cloudWatchRole: 'create' },
    });
  });

  it.each([
    ['hubAccountId', undefined, 'hubAccountId'],
    ['hubAccountId', '12345', 'hubAccountId'],
    ['organizationId', 'org-1', 'organizationId'],
    ['targetOus', [], 'targetOus'],
    ['targetOus', ['ou-bad'], 'targetOus.0'],
    ['regions', ['us-east-1', 'mars-1'], 'regions.1'],
    ['approvers', ['not-an-email'], 'approvers.0'],
    ['externalId', 'a-perfectly-long-external-id-0123', 'externalId'],
    ['externalIdSecret', 'not a secret name!', 'externalIdSecret'],
    ['approvalApi', { cloudWatchRole: 'maybe' }, 'approvalApi.cloudWatchRole'],
    ['schedule', { expression: 'every monday', mode: 'report' }, 'schedule.expression'],
    ['schedule', { expression: 'rate(7 days)', mode: 'delete-everything' }, 'schedule.mode'],
    ['protected', { accountIds: ['12345'] }, 'protected.accountIds.0'],
    ['protected', { ouIds: ['ou-bad'] }, 'protected.ouIds.0'],
    ['protected', { tags: { 'data-class': 'x'.repeat(300) } }, 'protected.tags.data-class'],
    ['protected', { accounts: ['111111111111'] }, 'protected'],
    ['protected', { accountIds: Array.from({ length: 200 }, (_, i) => String(100000000000 + i)) }, 'protected'],
    ['unknownField', true, ''],
  ])('rejects %s = %j and names the field', (field, value, named) => {
    const raw = { ...example(), [field]: value };
    if (value === undefined) delete raw[field];
    const error = failure(raw);
    expect(error.message).toContain(named || 'unknownField');
    if (named) expect(error.field).toBe(named);
  });

  it('points an old config that still types the external id at the secret', () => {
    const error = failure({ ...example(), externalId: 'zombie-sweep-0123456789abcdef' });
    expect(error.message).toMatch(/generates the external id in Secrets Manager/);
  });

  it.each([
    ['externalIdSecret', 'zombie-sweep/change-me'],
    ['approvers', ['change-me@example.com'], 'approvers.0'],
    ['operators', ['<oncall>@bank.example'], 'operators.0'],
    ['archive', { bucketName: 'replace-me-archive' }, 'archive.bucketName'],
  ])('rejects the placeholder left in %s', (field, value, named = field) => {
    const error = failure({ ...example(), [field]: value });
    expect(error.field).toBe(named);
    expect(error.message).toMatch(/placeholder/);
  });

  it('names resourcePrefix when the bucket names it builds would exceed 63 characters', () => {
    // 24 characters is a valid prefix; with "-access-logs-", the account and ap-southeast-2 it makes 64.
    const error = failure({ ...example(), resourcePrefix: 'a'.repeat(24), hubRegion: 'ap-southeast-2' });
    expect(error.field).toBe('resourcePrefix');
    expect(error.message).toMatch(/64 characters long; S3 allows 63/);
    expect(() => parseInfraConfig({ ...example(), resourcePrefix: 'a'.repeat(23), hubRegion: 'ap-southeast-2' })).not.toThrow();
  });

  it('rejects prefixes and bucket names S3 or CDK would refuse later', () => {
    expect(failure({ ...example(), resourcePrefix: 'zs-' }).field).toBe('resourcePrefix');
    expect(failure({ ...example(), resourcePrefix: 'xn--zs' }).field).toBe('resourcePrefix');
    expect(failure({ ...example(), archive: { bucketName: 'Archive_Bucket' } }).field).toBe('archive.bucketName');
    expect(failure({ ...example(), archive: { bucketName: 'same-name', accessLogsBucketName: 'same-name' } }).field).toBe('archive.accessLogsBucketName');
  });

  it('keeps the sweep timeout (approval window + work budget) inside the one-year Step Functions limit', () => {
    const error = failure({ ...example(), approval: { timeoutSeconds: 31_536_000 } });
    expect(error.field).toBe('approval.timeoutSeconds');
    expect(sweepTimeoutSeconds(parseInfraConfig({ ...example(), approval: { timeoutSeconds: 3600 } }))).toBe(3600 + SWEEP_WORK_BUDGET_SECONDS);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    const error = failure({ ...example(), retention: { logDays: 100 } });
    expect(error.field).toBe('retention.logDays');
    expect(error.message).toMatch(/one of 1, 3, 5/);
  });

  it('requires trusted principals when the restore role is enabled', () => {
    expect(failure({ ...example(), restoreRole: { enabled: true } }).field).toBe('restoreRole.trustedPrincipalArns');
  });

  it('accepts only hub-account roles as restore operators', () => {
    const restoreRole = { enabled: true, trustedPrincipalArns: ['arn:aws:iam::111111111111:role/ops', 'arn:aws:iam::999999999999:role/ops'] };
    expect(failure({ ...example(), restoreRole }).field).toBe('restoreRole.trustedPrincipalArns.1');
  });

  it('requires approvers for a scheduled cleanup', () => {
    const error = failure({ ...example(), approvers: [], schedule: { expression: 'rate(7 days)', mode: 'cleanup' } });
    expect(error.field).toBe('approvers');
  });

  it('applies CDK context overrides on top of the file, decoding JSON and numbers', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify({ ...example(), schedule: { expression: 'rate(7 days)', mode: 'report' } }));
    const config = loadInfraConfig(path, {
      'zombieSweep.schedule.mode': 'cleanup',
      'zombieSweep.regions': '["eu-west-1"]',
      'zombieSweep.retention.logDays': '90',
      'zombieSweep.restoreRole.enabled': 'false',
      'zombieSweep.hubAccountId': '999999999999',
      unrelated: 'ignored',
    });
    expect(config.schedule?.mode).toBe('cleanup');
    expect(config.regions).toEqual(['eu-west-1']);
    expect(config.retention.logDays).toBe(90);
    expect(config.hubAccountId).toBe('999999999999');
  });

  it('names the overridden field when an override is wrong', () => {
    const raw = applyContextOverrides(example(), { 'zombieSweep.workflow.scanMaxConcurrency': '0' });
    expect(failure(raw).field).toBe('workflow.scanMaxConcurrency');
  });

  it('explains a missing or broken file', () => {
    expect(() => loadInfraConfig(join(dir, 'missing.json'))).toThrow(/config file not found/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "hubAccountId": ');
    expect(() => loadInfraConfig(broken)).toThrow(/not valid JSON/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_FILE, applyContextOverrides, loadInfraConfig, parseInfraConfig, readConfigFile } from '../../infra/config.ts';
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
    expect(config.schedule).toEqual({ expression: 'cron(0 6 ? * MON *)', timezone: 'UTC', mode: 'report', enabled: true });
  });

  it.each([
    ['hubAccountId', undefined, 'hubAccountId'],
    ['hubAccountId', '12345', 'hubAccountId'],
    ['organizationId', 'org-1', 'organizationId'],
    ['targetOus', [], 'targetOus'],
    ['targetOus', ['ou-bad'], 'targetOus.0'],
    ['regions', ['us-east-1', 'mars-1'], 'regions.1'],
    ['approvers', ['not-an-email'], 'approvers.0'],
    ['externalId', 'short', 'externalId'],
    ['schedule', { expression: 'every monday', mode: 'report' }, 'schedule.expression'],
    ['schedule', { expression: 'rate(7 days)', mode: 'delete-everything' }, 'schedule.mode'],
    ['unknownField', true, ''],
  ])('rejects %s = %j and names the field', (field, value, named) => {
    const raw = { ...example(), [field]: value };
    if (value === undefined) delete raw[field];
    const error = failure(raw);
    expect(error.message).toContain(named || 'unknownField');
    if (named) expect(error.field).toBe(named);
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
    writeFileSync(path, JSON.stringify(example()));
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

import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_FILE, applyContextOverrides, parseInfraConfig, readConfigFile } from '../../infra/config.ts';
import { FUNCTION_SPECS } from '../../infra/hub/functions.ts';
import { scheduledSweepInput } from '../../infra/hub/schedule.ts';
import { parseDetection } from '../../cli/shared/options.ts';
import { InputValidationError } from '../../src/core/errors.ts';
import { HANDLER_ENV_NAMES, parseHandlerEnv } from '../../src/core/handler-env.ts';
import { SweepInputSchema, parseOrThrow } from '../../src/core/schemas.ts';

/**
 * One settings schema (src/core/schemas.ts): the deployed config, a sweep's input and the CLI flags
 * accept and refuse the same detection and approval values, and say which field is wrong.
 */

const example = () => readConfigFile(EXAMPLE_CONFIG_FILE);

function rejection(run: () => unknown): InputValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputValidationError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('detection and approval settings, wherever they are given', () => {
  it('refuse a minimum age shorter than the lookback window in the config, the sweep input and the CLI alike', () => {
    const config = rejection(() => parseInfraConfig({ ...example(), detection: { lookbackDays: 30, minAgeDays: 0 } }));
    expect(config.field).toBe('detection.minAgeDays');
    const short = rejection(() => parseInfraConfig(applyContextOverrides(example(), { 'zombieSweep.detection.minAgeDays': '7' })));
    expect(short.field).toBe('detection.minAgeDays');
    expect(short.message).toMatch(/whole lookback window/);

    const input = rejection(() => parseOrThrow(SweepInputSchema, { detection: { minAgeDays: 0 } }, 'sweep input'));
    expect(input.field).toBe('detection.minAgeDays');

    const flag = rejection(() => parseDetection({ lookbackDays: '30', minAgeDays: '0' }));
    expect(flag.field).toBe('--min-age-days');
  });

  it('carry every detection setting from the deployed config into a scheduled sweep', () => {
    const config = parseInfraConfig({
      ...example(),
      detection: { lookbackDays: '14', minAgeDays: 21, autoDeleteMaxDays: 180, expiredAction: 'candidate' },
      approval: { ownerTagKeys: ['team'] },
      schedule: { expression: 'rate(7 days)', mode: 'report' },
    });
    const input = parseOrThrow(SweepInputSchema, scheduledSweepInput(config), 'scheduled sweep input');
    expect(input.detection).toEqual({ lookbackDays: 14, thresholdInvocations: 0, minAgeDays: 21, autoDeleteMaxDays: 180, expiredAction: 'candidate' });
    expect(input.approval.ownerTagKeys).toEqual(['team']);
  });

  it('give owners the same notice period by default, deployed or started by hand', () => {
    const deployed = parseInfraConfig(example()).approval.noticeSeconds;
    const started = parseOrThrow(SweepInputSchema, {}, 'sweep input').approval.noticeSeconds;
    expect(started).toBe(deployed);
    expect(started).toBeGreaterThan(0);
  });

  it('keep auto-approve out of the deployed config', () => {
    expect(rejection(() => parseInfraConfig({ ...example(), approval: { autoApprove: true } })).message).toMatch(/autoApprove/);
  });
});

describe('handler environment', () => {
  it('names exactly the variables infra sets on the functions', () => {
    const set = new Set(Object.values(FUNCTION_SPECS).flatMap((spec) => spec.env));
    // EXTERNAL_ID_SECRET_ARN is added to the member-access functions beside their specs (infra/hub/functions.ts).
    expect([...set, 'EXTERNAL_ID_SECRET_ARN'].sort()).toEqual([...new Set(HANDLER_ENV_NAMES)].sort());
  });

  it('refuses a malformed value naming the variable, and treats an empty one as unset', () => {
    expect(rejection(() => parseHandlerEnv({ AUDIT_RETENTION_DAYS: 'seven' })).field).toBe('AUDIT_RETENTION_DAYS');
    expect(rejection(() => parseHandlerEnv({ AUDIT_RETENTION_MODE: 'LOOSE' })).field).toBe('AUDIT_RETENTION_MODE');
    expect(rejection(() => parseHandlerEnv({ NOTIFICATION_TOPIC_ARN: 'my-topic' })).field).toBe('NOTIFICATION_TOPIC_ARN');
    expect(parseHandlerEnv({ ARCHIVE_BUCKET: 'b', METRICS_NAMESPACE: '', AUDIT_RETENTION_DAYS: '30', PATH: '/bin' })).toEqual({
      ARCHIVE_BUCKET: 'b',
      AUDIT_RETENTION_DAYS: 30,
    });
  });
});

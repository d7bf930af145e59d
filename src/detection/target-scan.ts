import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { ClientFactory, TargetRef } from '../core/clients.ts';
import { errorMessage, TargetUnreachableError } from '../core/errors.ts';
import type { DetectionSettings, Finding, FindingsFile, ScanSummary, Verdict } from '../core/schemas.ts';
import { VerdictSchema } from '../core/schemas.ts';
import type { ApiCallStats } from '../core/api-calls.ts';
import { scanTarget, type ScanTargetOptions, type TargetScanResult } from './scan.ts';

/**
 * One target end to end, shared by the scan Lambda and the CLI: reach the account (assume the member
 * role, or use the caller's own credentials), scan, and report an unreachable target as a result
 * rather than an exception. Only RetryableAwsError escapes, so the state machine can retry it.
 */
export interface ScanOneTargetOptions extends Omit<ScanTargetOptions, 'sagemaker' | 'cloudwatch' | 'tagging' | 'accountId' | 'region'> {
  factory: ClientFactory;
  target: TargetRef;
}

export async function scanOneTarget(options: ScanOneTargetOptions): Promise<TargetScanResult> {
  const { factory, target, ...scanOptions } = options;
  const { log } = options;
  const scannedAt = options.clock.now().toISOString();
  try {
    await factory.verifyReachable(target);
  } catch (error) {
    if (!(error instanceof TargetUnreachableError)) throw error;
    log.warn('target unreachable', { accountId: target.accountId, region: target.region, error: error.message });
    return { accountId: target.accountId, region: target.region, status: 'unreachable', error: errorMessage(error), scannedAt, findings: [] };
  }
  try {
    return await scanTarget({
      sagemaker: factory.target(SageMakerClient, target),
      cloudwatch: factory.target(CloudWatchClient, target),
      tagging: factory.target(ResourceGroupsTaggingAPIClient, target),
      accountId: target.accountId,
      region: target.region,
      ...scanOptions,
    });
  } finally {
    // An organization has thousands of account-regions: a scanned one's clients are not kept.
    factory.release(target);
  }
}

export function findingsFile(sweepId: string, result: TargetScanResult, settings: DetectionSettings, apiCalls: ApiCallStats): FindingsFile {
  return {
    sweepId,
    accountId: result.accountId,
    region: result.region,
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    scannedAt: result.scannedAt,
    settings: { lookbackDays: settings.lookbackDays, thresholdInvocations: settings.thresholdInvocations, minAgeDays: settings.minAgeDays },
    findings: result.findings,
    stats: { endpoints: result.findings.length, apiCalls },
  };
}

export function verdictCounts(findings: readonly Finding[]): Record<Verdict, number> {
  const counts = Object.fromEntries(VerdictSchema.options.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const f of findings) counts[f.verdict]++;
  return counts;
}

/** $/month of the zombies whose cost is known. */
export function zombieMonthlyCost(findings: readonly Finding[]): number {
  const total = findings.reduce((sum, f) => sum + (f.verdict === 'zombie' ? (f.monthlyCostUsd ?? 0) : 0), 0);
  return Math.round(total * 100) / 100;
}

export function scanSummary(result: TargetScanResult, apiCalls: number, findingsKey?: string): ScanSummary {
  return {
    accountId: result.accountId,
    region: result.region,
    status: result.status,
    ...(result.error ? { reason: result.error } : {}),
    counts: verdictCounts(result.findings),
    monthlyCostUsd: zombieMonthlyCost(result.findings),
    ...(findingsKey ? { findingsKey } : {}),
    apiCalls,
  };
}

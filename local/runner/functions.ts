import { s3ConfigCache } from '../../src/detection/config-cache.ts';
import { S3Client } from '@aws-sdk/client-s3';
import type { AuditWriter } from '../../src/audit/events.ts';
import type { MacSigner } from '../../src/cleanup/approval/links.ts';
import type { Notifier } from '../../src/core/notifier.ts';
import { ClientFactory, type ClientFactoryOptions } from '../../src/core/clients.ts';
import type { Clock } from '../../src/core/clock.ts';
import { WORKFLOW_FUNCTIONS, type WorkflowFunction } from '../../src/core/functions.ts';
import type { Log } from '../../src/core/log.ts';
import type { SweepDeps } from '../../src/sweep/deps.ts';
import { createHandler as applyDecision } from '../../functions/apply-decision/handler.ts';
import { createHandler as approvalWeb } from '../../functions/approval-web/handler.ts';
import { createHandler as collect } from '../../functions/collect/handler.ts';
import { createHandler as deleteEndpoint } from '../../functions/delete/handler.ts';
import { createHandler as listTargets } from '../../functions/list-targets/handler.ts';
import { createHandler as recordFailure } from '../../functions/record-failure/handler.ts';
import { createHandler as report } from '../../functions/report/handler.ts';
import { createHandler as requestApproval } from '../../functions/request-approval/handler.ts';
import { createHandler as scan } from '../../functions/scan/handler.ts';
import { createHandler as snapshot } from '../../functions/snapshot/handler.ts';
import { createHandler as tag } from '../../functions/tag/handler.ts';
import { createHandler as validateInput } from '../../functions/validate-input/handler.ts';
import type { ApprovalHandler } from './host.ts';
import type { LambdaFunction } from './lambda.ts';

/** Everything the workflow's handlers need locally: what each Lambda would build from its environment. */
export interface LocalFunctionDeps {
  /** Base client options (credentials, hub region, path-style S3 behind AWS_ENDPOINT_URL). */
  factoryOptions: ClientFactoryOptions;
  /** The factory handlers use (LocalClientFactory: Step Functions to the runner). */
  clients: ClientFactory;
  archiveBucket: string;
  archiveKmsKeyId?: string;
  hubRegion: string;
  clock: Clock;
  log: Log;
  auditRetention?: AuditWriter['retention'];
  /** Approvals and reports topic. Without one, the local clients keep notifications instead of publishing. */
  topicArn?: string;
  /** Where every notification goes (chosen from `topicArn` by the runner). */
  notifier: Notifier;
  signer: MacSigner;
  /** Where the approval pages are served (the local host's URL). */
  approvalBaseUrl: string;
}

/** Local function names follow infra: `zombie-sweep-<name>`, the last part of each function ARN. */
export function localFunctionName(name: WorkflowFunction): string {
  return `zombie-sweep-${name}`;
}

/** The in-process handler of every workflow function, keyed by local function name. */
export function localFunctions(deps: LocalFunctionDeps): Record<string, LambdaFunction> {
  const sweep: SweepDeps = {
    clients: deps.clients,
    archiveBucket: deps.archiveBucket,
    hubRegion: deps.hubRegion,
    clock: deps.clock,
    log: deps.log,
    auditRetention: deps.auditRetention,
    topicArn: deps.topicArn ?? 'arn:aws:sns:local:000000000000:kept-locally',
    notifier: deps.notifier,
    allowAutoApprove: true,
    allowOwnAccountOnly: true,
  };
  // Locally one key signs links and decisions (distinct purposes in the signed message); deployed, decisions have a key of their own.
  const cleanup = { clients: deps.clients, archiveBucket: deps.archiveBucket, clock: deps.clock, log: deps.log, auditRetention: deps.auditRetention, decisionSigner: deps.signer };
  const handlers: Record<WorkflowFunction, LambdaFunction> = {
    'validate-input': validateInput(sweep),
    'list-targets': listTargets(sweep),
    scan: scan({
      archiveBucket: deps.archiveBucket,
      s3: deps.clients.hub(S3Client),
      factoryFor: (counter, sessionName) => new ClientFactory({ ...deps.factoryOptions, sessionName, counter }),
      clock: deps.clock,
      log: deps.log,
      configCache: s3ConfigCache(deps.clients.hub(S3Client), deps.archiveBucket),
    }),
    collect: collect(sweep),
    snapshot: snapshot({
      factory: deps.clients,
      archiveBucket: deps.archiveBucket,
      archiveRegion: deps.hubRegion,
      archiveKmsKeyId: deps.archiveKmsKeyId,
      clock: deps.clock,
      log: deps.log,
      auditRetention: deps.auditRetention,
    }) as LambdaFunction,
    tag: tag(cleanup),
    'request-approval': requestApproval({ ...cleanup, signer: deps.signer, topicArn: sweep.topicArn!, notifier: deps.notifier, approvalBaseUrl: deps.approvalBaseUrl }),
    'apply-decision': applyDecision(cleanup),
    delete: deleteEndpoint(cleanup),
    report: report(sweep),
    'record-failure': recordFailure(sweep),
  };
  return Object.fromEntries(WORKFLOW_FUNCTIONS.map((name) => [localFunctionName(name), handlers[name]]));
}

/** The approval pages' handler (functions/approval-web) with the same deps. */
export function localApprovalPages(deps: LocalFunctionDeps): ApprovalHandler {
  return approvalWeb({ clients: deps.clients, archiveBucket: deps.archiveBucket, clock: deps.clock, log: deps.log, auditRetention: deps.auditRetention, signer: deps.signer, decisionSigner: deps.signer });
}

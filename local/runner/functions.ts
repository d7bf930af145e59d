import { s3ConfigCache } from '../../src/detection/config-cache.ts';
import { S3Client } from '@aws-sdk/client-s3';
import type { AuditWriter } from '../../src/audit/events.ts';
import type { MacSigner } from '../../src/cleanup/approval/links.ts';
import type { Notifier } from '../../src/core/notifier.ts';
import { ClientFactory, type ClientFactoryOptions } from '../../src/core/clients.ts';
import type { Clock } from '../../src/core/clock.ts';
import { WORKFLOW_FUNCTIONS, type APPROVAL_WEB_FUNCTION, type WorkflowFunction } from '../../src/core/functions.ts';
import { ApiCallCounter, type ApiCall } from '../../src/core/api-calls.ts';
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
import { transientsRetryable } from '../../functions/shared/handler.ts';
import type { ApprovalHandler } from './host.ts';
import type { LambdaFunction } from './lambda.ts';

/** Everything the workflow's handlers need locally: what each Lambda would build from its environment. */
export interface LocalFunctionDeps {
  /** Base client options (credentials, hub region, path-style S3 behind AWS_ENDPOINT_URL). */
  factoryOptions: ClientFactoryOptions;
  /**
   * Each function's own client factory, as each Lambda has its own (its Step Functions endpoint is the
   * runner): credentials and calls are per function, so a function's recorded calls are its own.
   */
  clientsFor(fn: LocalFunction): ClientFactory;
  /** Counts (and may record) each function's SDK calls; the permission test checks them against the function's policy. */
  counterFor?(fn: LocalFunction): ApiCallCounter | undefined;
  archiveBucket: string;
  archiveKmsKeyId?: string;
  hubRegion: string;
  clock: Clock;
  log: Log;
  auditRetention?: AuditWriter['retention'];
  /** Where a function's notifications go: the runner chooses the kind from its options (an SNS topic, else kept in memory). */
  notifierFor(fn: LocalFunction): Notifier;
  /** Signs and verifies approval and veto links, with the function's own clients. */
  linkSignerFor(fn: LocalFunction): MacSigner;
  /** Signs and verifies decision records; deployed, a key of its own (locally the link key unless the runner is given one). */
  decisionSignerFor(fn: LocalFunction): MacSigner;
  /** Where the approval pages are served (the local host's URL). */
  approvalBaseUrl: string;
}

/** Every hub function the runner runs: the workflow's and the approval pages'. */
export type LocalFunction = WorkflowFunction | typeof APPROVAL_WEB_FUNCTION;

/** Local function names follow infra: `zombie-sweep-<name>`, the last part of each function ARN. */
export function localFunctionName(name: WorkflowFunction): string {
  return `zombie-sweep-${name}`;
}

/** The in-process handler of every workflow function, keyed by local function name. */
export function localFunctions(deps: LocalFunctionDeps): Record<string, LambdaFunction> {
  const sweep = (fn: WorkflowFunction): SweepDeps => ({
    clients: deps.clientsFor(fn),
    archiveBucket: deps.archiveBucket,
    hubRegion: deps.hubRegion,
    clock: deps.clock,
    log: deps.log,
    auditRetention: deps.auditRetention,
    notifier: deps.notifierFor(fn),
    allowAutoApprove: true,
    allowOwnAccountOnly: true,
  });
  const cleanup = (fn: WorkflowFunction) => ({
    clients: deps.clientsFor(fn),
    archiveBucket: deps.archiveBucket,
    clock: deps.clock,
    log: deps.log,
    auditRetention: deps.auditRetention,
    decisionSigner: deps.decisionSignerFor(fn),
  });
  const handlers: Record<WorkflowFunction, LambdaFunction> = {
    'validate-input': validateInput(sweep('validate-input')),
    'list-targets': listTargets(sweep('list-targets')),
    scan: scan({
      archiveBucket: deps.archiveBucket,
      s3: deps.clientsFor('scan').hub(S3Client),
      factoryFor: (counter, sessionName) =>
        new ClientFactory({ ...deps.factoryOptions, sessionName, counter: alsoCounting(counter, deps.counterFor?.('scan')) }),
      clock: deps.clock,
      log: deps.log,
      configCache: s3ConfigCache(deps.clientsFor('scan').hub(S3Client), deps.archiveBucket),
    }),
    collect: collect(sweep('collect')),
    snapshot: snapshot({
      factory: deps.clientsFor('snapshot'),
      archiveBucket: deps.archiveBucket,
      archiveRegion: deps.hubRegion,
      archiveKmsKeyId: deps.archiveKmsKeyId,
      clock: deps.clock,
      log: deps.log,
      auditRetention: deps.auditRetention,
    }) as LambdaFunction,
    tag: tag(cleanup('tag')),
    'request-approval': requestApproval({
      ...cleanup('request-approval'),
      signer: deps.linkSignerFor('request-approval'),
      notifier: deps.notifierFor('request-approval'),
      approvalBaseUrl: deps.approvalBaseUrl,
    }),
    'apply-decision': applyDecision(cleanup('apply-decision')),
    delete: deleteEndpoint(cleanup('delete')),
    report: report(sweep('report')),
    'record-failure': recordFailure(sweep('record-failure')),
  };
  // As deployed (functions/shared/handler.ts lazyHandler): a transient AWS error leaves a step as RetryableAwsError.
  return Object.fromEntries(WORKFLOW_FUNCTIONS.map((name) => [localFunctionName(name), transientsRetryable(handlers[name])]));
}

/** A scan child counts its own calls for its stats; the runner's counter for the scan function sees them too. */
function alsoCounting(own: ApiCallCounter | undefined, runner: ApiCallCounter | undefined): ApiCallCounter | undefined {
  if (!own || !runner) return own ?? runner;
  return new (class extends ApiCallCounter {
    override record(service: string, operation: string, call?: ApiCall): void {
      own.record(service, operation, call);
      runner.record(service, operation, call);
    }
    override recordAttempt(): void {
      own.recordAttempt();
      runner.recordAttempt();
    }
    override stats() {
      return own.stats();
    }
  })();
}

/** The approval pages' handler (functions/approval-web) with the same deps. */
export function localApprovalPages(deps: LocalFunctionDeps): ApprovalHandler {
  return approvalWeb({
    clients: deps.clientsFor('approval-web'),
    archiveBucket: deps.archiveBucket,
    clock: deps.clock,
    log: deps.log,
    auditRetention: deps.auditRetention,
    signer: deps.linkSignerFor('approval-web'),
    decisionSigner: deps.decisionSignerFor('approval-web'),
  });
}

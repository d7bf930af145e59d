import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import { HUB_FUNCTIONS, MEMBER_ACCESS_FUNCTIONS, type HubFunction, type HubNames } from '../names.ts';
import { loadPolicy, type PolicyJson, type PolicyVars } from '../policies.ts';
import { suppress } from '../nag.ts';
import type { HandlerEnv } from '../../src/core/handler-env.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Environment variables the handlers read: named and typed once, in src/core/handler-env.ts. */
export type { HandlerEnv };

export interface FunctionSpec {
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  env: readonly HandlerEnv[];
}

const AUDIT: readonly HandlerEnv[] = ['ARCHIVE_BUCKET', 'AUDIT_RETENTION_DAYS', 'AUDIT_RETENTION_MODE'];

/**
 * Sizing: the ASL gives every task 900 s; functions that only touch a few objects get far less, so a
 * hung call fails fast and is retried by the state machine. Memory buys CPU and network for the
 * ones that merge thousands of findings files or drive many parallel copies. delete never waits for
 * SageMaker: the workflow's Wait-state loop calls it again while deletion is in progress.
 */
export const FUNCTION_SPECS: Readonly<Record<HubFunction, FunctionSpec>> = {
  'validate-input': { description: 'Parses the sweep input and takes the sweep lock', memoryMb: 256, timeoutSeconds: 60, env: [...AUDIT, 'PROTECTED_LIST'] },
  'list-targets': { description: 'Lists organization accounts x regions into the Map item file', memoryMb: 512, timeoutSeconds: 600, env: AUDIT },
  scan: { description: 'Scans one account x region and classifies its endpoints', memoryMb: 1024, timeoutSeconds: 900, env: ['ARCHIVE_BUCKET'] },
  collect: { description: 'Merges findings into the sweep report and candidate list', memoryMb: 1024, timeoutSeconds: 600, env: AUDIT },
  snapshot: {
    description: 'Copies and verifies every artifact of a zombie, then writes its manifest',
    memoryMb: 1024,
    timeoutSeconds: 900,
    env: [...AUDIT, 'ARCHIVE_KMS_KEY_ID'],
  },
  tag: { description: 'Tags a snapshotted zombie zombie=confirmed', memoryMb: 256, timeoutSeconds: 120, env: AUDIT },
  'request-approval': {
    description: 'Stores the approval request and mails signed links',
    memoryMb: 512,
    timeoutSeconds: 120,
    env: [...AUDIT, 'NOTIFICATION_TOPIC_ARN', 'APPROVAL_BASE_URL', 'APPROVAL_MAC_KEY_ID'],
  },
  'apply-decision': {
    description: 'Applies the approvers decision (rejections, deletion list)',
    memoryMb: 512,
    timeoutSeconds: 600,
    env: [...AUDIT, 'DECISION_MAC_KEY_ID'],
  },
  delete: { description: 'Re-verifies and deletes one approved endpoint', memoryMb: 512, timeoutSeconds: 900, env: [...AUDIT, 'DECISION_MAC_KEY_ID'] },
  report: {
    description: 'Writes the final report and savings, and notifies',
    memoryMb: 1024,
    timeoutSeconds: 600,
    env: [...AUDIT, 'NOTIFICATION_TOPIC_ARN', 'METRICS_NAMESPACE'],
  },
  'record-failure': {
    description: 'Records a failed sweep, releases its lock and notifies',
    memoryMb: 256,
    timeoutSeconds: 120,
    env: [...AUDIT, 'NOTIFICATION_TOPIC_ARN'],
  },
  // API Gateway waits at most 29 s for an integration.
  'approval-web': {
    description: 'Serves the approval pages and records decisions',
    memoryMb: 512,
    timeoutSeconds: 29,
    env: [...AUDIT, 'APPROVAL_MAC_KEY_ID', 'DECISION_MAC_KEY_ID'],
  },
};
export interface HubFunctionsProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
  env: Partial<Record<HandlerEnv, string>>;
  /** The functions that assume member roles read the external id from this secret (policies/hub-external-id.json). */
  externalIdSecret: { arnForPolicy: string; secretId: string };
}

/** The documents in policies/ a function's role holds. */
function documentsFor(fn: HubFunction, vars: PolicyVars): PolicyJson[] {
  const documents = [loadPolicy('hub-function-base', vars), loadPolicy(`hub-${fn}`, vars)];
  if ((MEMBER_ACCESS_FUNCTIONS as readonly string[]).includes(fn)) documents.push(loadPolicy('hub-external-id', vars));
  return documents;
}

export function handlerEntry(fn: HubFunction): string {
  return join(REPO_ROOT, 'functions', fn, 'handler.ts');
}

/**
 * One function per handler, each with its own role whose only permissions are the documents in
 * policies/ (hub-function-base.json + hub-<name>.json). The role is handed to Lambda as immutable,
 * so nothing CDK might add implicitly widens it.
 */
export class HubFunctions extends Construct {
  readonly functions = {} as Record<HubFunction, NodejsFunction>;
  readonly roles = {} as Record<HubFunction, iam.Role>;
  readonly logGroups = {} as Record<HubFunction, logs.LogGroup>;
  /** The filled policies/ documents attached to each role (for cdk-nag acknowledgments and tests). */
  readonly policyDocuments = {} as Record<HubFunction, PolicyJson[]>;

  constructor(scope: Construct, id: string, props: HubFunctionsProps) {
    super(scope, id);
    const { config, names } = props;
    const missing = HUB_FUNCTIONS.filter((fn) => !existsSync(handlerEntry(fn)));
    if (missing.length > 0) throw new Error(`missing Lambda handler file(s): ${missing.map((fn) => `functions/${fn}/handler.ts`).join(', ')}`);

    for (const fn of HUB_FUNCTIONS) {
      const spec = FUNCTION_SPECS[fn];
      const logGroup = new logs.LogGroup(this, `${fn}-logs`, {
        logGroupName: names.logGroup(fn),
        retention: config.retention.logDays as logs.RetentionDays,
        // Logs of what a sweep did (decisions, deletions, failures) are evidence: kept after an uninstall.
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const vars: PolicyVars = { ...props.policyVars, FunctionLogGroupName: names.logGroup(fn), ExternalIdSecretArn: props.externalIdSecret.arnForPolicy };
      const documents = documentsFor(fn, vars);
      const inlinePolicies: Record<string, iam.PolicyDocument> = {
        base: iam.PolicyDocument.fromJson(documents[0]),
        [fn]: iam.PolicyDocument.fromJson(documents[1]),
      };
      if (documents[2]) inlinePolicies['external-id'] = iam.PolicyDocument.fromJson(documents[2]);
      const role = new iam.Role(this, `${fn}-role`, {
        roleName: names.functionRole(fn),
        description: `zombie-sweep ${fn} Lambda`,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        inlinePolicies,
      });
      this.policyDocuments[fn] = documents;
      const environment: Record<string, string> = { NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_SERVICE_NAME: `zombie-sweep-${fn}` };
      for (const name of spec.env) {
        const value = props.env[name];
        if (value !== undefined) environment[name] = value;
      }
      if (documents[2]) environment.EXTERNAL_ID_SECRET_ARN = props.externalIdSecret.secretId;
      const fnConstruct = new NodejsFunction(this, fn, {
        functionName: names.functionName(fn),
        description: spec.description,
        entry: handlerEntry(fn),
        handler: 'handler',
        projectRoot: REPO_ROOT,
        depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.memoryMb,
        timeout: Duration.seconds(spec.timeoutSeconds),
        role: role.withoutPolicyUpdates(),
        logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        tracing: lambda.Tracing.ACTIVE,
        environment,
        bundling: {
          forceDockerBundling: false,
          format: OutputFormat.ESM,
          target: 'node22',
          minify: true,
          // Error class names are a contract (src/core/errors.ts): the ASL's Retry/Catch match Lambda's
          // errorType, which is `name`. Minifying without this renames RetryableAwsError to e.g. "Gm".
          keepNames: true,
          sourceMap: true,
          sourcesContent: false,
          mainFields: ['module', 'main'],
          // Bundle the SDK versions the tests ran against rather than whatever the runtime ships.
          bundleAwsSDK: true,
          // Some CommonJS dependencies call require(); ESM bundles need it defined.
          banner: "import { createRequire as zsCreateRequire } from 'node:module'; const require = zsCreateRequire(import.meta.url);",
        },
      });
      suppress(fnConstruct, [
        {
          id: 'AwsSolutions-L1',
          reason: 'Pinned to nodejs22.x on purpose: the handlers are built and tested for Node 22 (and 20); moving to a newer runtime is a tested change.',
        },
      ]);
      this.functions[fn] = fnConstruct;
      this.roles[fn] = role;
      this.logGroups[fn] = logGroup;
    }
  }

  /** Sets a variable on every function whose spec reads it (for values created after the functions, e.g. the API URL). */
  setEnv(name: HandlerEnv, value: string): void {
    for (const fn of HUB_FUNCTIONS) if (FUNCTION_SPECS[fn].env.includes(name)) this.functions[fn].addEnvironment(name, value);
  }
}

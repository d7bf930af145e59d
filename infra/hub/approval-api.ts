import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import { suppress } from '../nag.ts';

/**
 * Requests one client IP may make in any 5 minutes before WAF blocks it (for the rest of the window).
 * An approver opens a page, reviews and decides: a dozen requests. The stage limit (10 rps) is shared
 * by everyone, so without a per-IP limit one flooding client would use it up and lock approvers out.
 */
export const APPROVAL_REQUESTS_PER_IP_PER_5_MIN = 100;
/** A person deciding clicks a handful of times; a link replayed from many addresses is cut off at this. */
export const APPROVAL_REQUESTS_PER_LINK_PER_5_MIN = 30;

export interface ApprovalApiProps {
  config: InfraConfig;
  names: HubNames;
  handler: lambda.IFunction;
}

/**
 * The approval pages: GET and POST /approvals/{sweepId}, proxied to the approval-web function.
 * Approvers are not AWS users, so the request carries its authorization itself: the link is signed
 * for one approver, sweep and expiry (KMS HMAC), and the function verifies it before anything else.
 */
export class ApprovalApi extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    const { config, names } = props;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      logGroupName: names.apiAccessLogGroup,
      retention: config.retention.logDays as logs.RetentionDays,
      // Who opened and submitted approval pages is evidence: kept after an uninstall, like the archive.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: `${config.resourcePrefix}-approvals`,
      description: 'zombie-sweep approval pages (signed links)',
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // A stage refuses access logging until the account-level API Gateway CloudWatch role is set
      // (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). `create`
      // sets it here (the stage then depends on it); `existing` relies on the account's, which
      // `zombie-sweep doctor` checks. Kept on uninstall: other APIs in the account may log through it.
      ...(config.approvalApi.cloudWatchRole === 'create'
        ? { cloudWatchRole: true, cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }
        : { cloudWatchRole: false }),
      deployOptions: {
        stageName: 'v1',
        // A handful of approvers click a few links: tight limits blunt scanners and floods.
        throttlingRateLimit: 10,
        throttlingBurstLimit: 20,
        tracingEnabled: true,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        // Standard fields only: no query string, so signed parameters never land in logs.
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
    });

    const validator = new apigw.RequestValidator(this, 'PathValidator', {
      restApi: this.api,
      requestValidatorName: 'sweep-id-required',
      validateRequestParameters: true,
      // No model is attached, so API Gateway checks nothing in the body; the function parses the form with zod.
      validateRequestBody: true,
    });
    const integration = new apigw.LambdaIntegration(props.handler, { proxy: true });
    const approval = this.api.root.addResource('approvals').addResource('{sweepId}');
    for (const method of ['GET', 'POST']) {
      approval.addMethod(method, integration, {
        requestValidator: validator,
        requestParameters: { 'method.request.path.sweepId': true },
        authorizationType: apigw.AuthorizationType.NONE,
      });
    }

    this.webAcl = this.limitPerIp(config.resourcePrefix);
    if (config.approvalApi.cloudWatchRole === 'create') this.nameCloudWatchRole(names.apiGatewayCloudWatchRole);

    const signedLinks =
      'Approvers are people outside IAM reached by email; each link is HMAC-signed by KMS for one approver, sweep and expiry and verified by the function before it reads or changes anything.';
    suppress(this.api, [
      { id: 'AwsSolutions-APIG4', reason: signedLinks },
      { id: 'AwsSolutions-COG4', reason: signedLinks },
      {
        id: 'AwsSolutions-APIG3',
        reason: `Two routes serving signed approval pages, with stage throttling (10 rps, burst 20) and a WAF web ACL limiting each client IP to ${APPROVAL_REQUESTS_PER_IP_PER_5_MIN} and each signed link to ${APPROVAL_REQUESTS_PER_LINK_PER_5_MIN} requests per 5 minutes.`,
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logs would record request data of signed links; JSON access logs (no query string) are enabled instead and the function logs every decision.',
      },
    ]);
  }

  /** A WAF web ACL on the stage: rate-based rules per client IP and per signed link, everything else allowed (the function verifies links). */
  private limitPerIp(prefix: string): wafv2.CfnWebACL {
    const visibility = (metricName: string) => ({ cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: false });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${prefix}-approvals`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${prefix}-approvals`),
      rules: [
        {
          name: 'per-ip-rate-limit',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { aggregateKeyType: 'IP', limit: APPROVAL_REQUESTS_PER_IP_PER_5_MIN, evaluationWindowSec: 300 } },
          visibilityConfig: visibility(`${prefix}-approvals-per-ip`),
        },
        {
          // Keyed on the link's signature (`sig`, in the query of the page and of its form posts, which keep the
          // page's URL): one leaked link replayed from many addresses is blocked without touching other approvers.
          name: 'per-link-rate-limit',
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [{ queryArgument: { name: 'sig', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
              limit: APPROVAL_REQUESTS_PER_LINK_PER_5_MIN,
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility(`${prefix}-approvals-per-link`),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: acl.attrArn });
    return acl;
  }

  /** The account-level role gets a deterministic name so `doctor` and the operations guide can point at it. */
  private nameCloudWatchRole(roleName: string): void {
    const role = this.api.node.tryFindChild('CloudWatchRole');
    if (!(role instanceof iam.Role)) throw new Error('the approval API has no CloudWatch role to configure');
    (role.node.defaultChild as iam.CfnRole).roleName = roleName;
    suppress(role, [
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy API Gateway documents for its account-level logging role.',
      },
    ]);
  }
}

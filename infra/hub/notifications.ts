import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';

/** The message attribute request-approval sets on each per-approver message; subscription filters match it. */
export const APPROVER_ATTRIBUTE = 'approver';
/** The message attribute sweep notifications (final report, failure) carry. */
export const EVENT_ATTRIBUTE = 'event';
export const OPERATOR_EVENTS = ['sweep-finished', 'sweep-failed'] as const;

export interface NotificationsProps {
  config: InfraConfig;
  names: HubNames;
  policyVars: PolicyVars;
}

/**
 * Two KMS-encrypted topics. `notifications` carries approval links and reports: each approver's
 * email subscription only receives messages whose `approver` attribute names that approver, so a
 * signed link never reaches anyone else. `alarms` carries CloudWatch alarms to the operators.
 */
export class Notifications extends Construct {
  readonly key: kms.Key;
  readonly topic: sns.Topic;
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { config, names } = props;

    this.key = new kms.Key(this, 'Key', {
      alias: names.notificationKeyAlias,
      description: 'zombie-sweep SNS topics (approval links, reports, alarms)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    for (const statement of loadPolicy('notification-key-policy', props.policyVars).Statement) {
      this.key.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    }

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: names.notificationTopic,
      displayName: 'zombie-sweep',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const approver of new Set([...config.approvers, ...config.approval.groups.flatMap((g) => g.approvers)])) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(approver, {
          filterPolicy: { [APPROVER_ATTRIBUTE]: sns.SubscriptionFilter.stringFilter({ allowlist: [approver] }) },
        }),
      );
    }

    // Account owners get only the owner notices addressed to them (messages carrying `owner`, src/cleanup/notice/notice.ts).
    for (const owner of new Set(Object.values(config.approval.accountOwners))) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(owner, {
          filterPolicy: { owner: sns.SubscriptionFilter.stringFilter({ allowlist: [owner] }) },
        }),
      );
    }

    // Operators get the sweep reports and failures (messages carrying an `event` attribute,
    // src/sweep/notify.ts) but never approval links, which carry only `approver`.
    for (const operator of config.operators) {
      this.topic.addSubscription(
        new subscriptions.EmailSubscription(operator, {
          filterPolicy: { [EVENT_ATTRIBUTE]: sns.SubscriptionFilter.stringFilter({ allowlist: [...OPERATOR_EVENTS] }) },
        }),
      );
    }

    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: names.alarmTopic,
      displayName: 'zombie-sweep alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
    for (const operator of config.operators) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(operator));
  }
}

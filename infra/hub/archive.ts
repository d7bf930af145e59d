import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { InfraConfig } from '../config.ts';
import type { HubNames } from '../names.ts';
import { loadPolicy, type PolicyVars } from '../policies.ts';
import { suppress } from '../nag.ts';

export interface ArchiveProps {
  config: InfraConfig;
  names: HubNames;
  /** Placeholder values for policies/ (partition, accounts, org, bucket name...). */
  policyVars: PolicyVars;
}

/**
 * The archive bucket (sweep files, findings, artifact copies, manifests, audit trail) and its key.
 * Retained on stack deletion: it is the evidence an auditor reads years later.
 */
export class Archive extends Construct {
  readonly bucket: s3.Bucket;
  readonly key: kms.Key;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: ArchiveProps) {
    super(scope, id);
    const { config, names, policyVars } = props;
    const retention = config.retention;

    this.key = new kms.Key(this, 'Key', {
      alias: names.archiveKeyAlias,
      description: 'zombie-sweep archive bucket (artifact copies, manifests, audit trail)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const keyStatements = [loadPolicy('archive-key-policy', policyVars)];
    if (config.restoreRole.enabled) keyStatements.push(loadPolicy('archive-key-policy-restore', policyVars));
    for (const doc of keyStatements) for (const statement of doc.Statement) this.key.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));

    // Server access logs cannot be written to an SSE-KMS bucket, so this one uses SSE-S3.
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      bucketName: names.accessLogsBucket,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: retention.logDays === 9999 ? [] : [{ id: 'expire-access-logs', expiration: Duration.days(retention.logDays) }],
    });
    suppress(this.accessLogs, [{ id: 'AwsSolutions-S1', reason: 'This is the server access log destination; logging it into itself would loop.' }]);

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: names.archiveBucket,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of per object: thousands of artifact copies per sweep stay cheap in KMS calls.
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // Retention is set per audit object by the writer (src/audit/events.ts), not as a bucket default:
      // a default would also lock sweep files, locks and artifacts, which must stay replaceable and expire.
      objectLockEnabled: true,
      // The TLS-only statement comes from policies/archive-bucket-policy.json, not from enforceSSL.
      enforceSSL: false,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'archive/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'artifacts-to-glacier-instant-retrieval',
          prefix: 'artifacts/',
          transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(retention.artifactsColdAfterDays) }],
          noncurrentVersionExpiration: Duration.days(retention.noncurrentVersionDays),
        },
        ...['sweeps/', 'manifests/', 'approvals/', 'locks/', 'cache/'].map((prefix) => ({
          id: `expire-noncurrent-${prefix.replace('/', '')}`,
          prefix,
          noncurrentVersionExpiration: Duration.days(retention.noncurrentVersionDays),
        })),
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    // Referencing the bucket (rather than repeating its name) ties the policy to the bucket it guards.
    const bucketVars = { ...policyVars, ArchiveBucket: this.bucket.bucketName };
    const bucketDocs = [loadPolicy('archive-bucket-policy', bucketVars)];
    if (config.restoreRole.enabled) bucketDocs.push(loadPolicy('archive-bucket-policy-restore', bucketVars));
    for (const doc of bucketDocs) for (const statement of doc.Statement) this.bucket.addToResourcePolicy(iam.PolicyStatement.fromJson(statement));
    this.retainEvidenceGuards();
  }

  /**
   * A retained bucket without its policy loses TLS-only, org-only and DenyAuditDeletion, and the
   * access-log bucket without its policy stops receiving logs; the key without its alias breaks every
   * command that names it. So everything that guards the evidence outlives the stack with it.
   */
  private retainEvidenceGuards(): void {
    for (const bucket of [this.bucket, this.accessLogs]) {
      if (!bucket.policy) throw new Error(`${bucket.node.path} has no bucket policy to retain`);
      bucket.policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }
    const alias = this.key.node.tryFindChild('Alias');
    if (!(alias instanceof kms.Alias)) throw new Error('the archive key has no alias to retain');
    alias.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}

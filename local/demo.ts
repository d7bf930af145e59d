/**
 * `npm run demo [-- --auto-approve] [--port N] [--seed N]`: the whole product on a laptop. Starts the
 * simulated demo organization, creates what the hub stack would (archive bucket with Object Lock,
 * a KMS HMAC key for approval links, the SNS topic with one filtered subscription per approver),
 * runs a cleanup sweep with the real state machine, and waits for someone to decide on the approval
 * page, unless --auto-approve. Ends with the report and where the audit trail and HTML report are.
 */
import '../src/core/polyfills.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { Command } from 'commander';
import { describeEvent } from '../src/sweep/deployed.ts';
import { renderReportHtml } from '../src/sweep/html.ts';
import { bytes, money, reportText } from '../src/sweep/text.ts';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { tagListToMap } from '../src/core/tags.ts';
import { loadSavings, summarizeSavings } from '../src/savings/query.ts';
import { attachAutoTagger } from './prevention.ts';
import { attachToSimulator, startSweepLocally } from './runner/index.ts';
import { organizationsAdminStore, snsOutbox, startScenarioSimulator } from './sim/index.ts';

// Node 20 is supported (package.json engines); the SDK's notice about its future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ARCHIVE_BUCKET = 'acme-zombie-sweep-archive';
const APPROVERS = ['ml-platform-lead@acme.example', 'finops@acme.example'];
const OWNERS = ['maria.garcia@acme.example', 'ml-prod-owners@acme.example', 'ds-guild@acme.example'];
const out = (line = '') => process.stdout.write(`${line}\n`);

const options = new Command('demo')
  .description('Run a zombie-sweep cleanup sweep against the simulated demo organization.')
  .option('--auto-approve', 'approve every zombie without waiting for a person (recorded as auto-approve)')
  .option('--scale-to-zero', 'with --auto-approve: scale to zero instead of deleting wherever AWS allows it (asynchronous and inference-component endpoints)')
  .option('--port <port>', 'simulator port (default: any free port)', '0')
  .option('--seed <n>', 'seed for synthetic artifact content', '1')
  .parse(process.argv)
  .opts<{ autoApprove?: boolean; scaleToZero?: boolean; port: string; seed: string }>();

const started = Date.now();
const sim = await startScenarioSimulator({ scenario: 'demo', port: Number(options.port), seed: Number(options.seed) });
let stopping = false;
let autoTagger: ReturnType<typeof attachAutoTagger> | undefined;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await sim.stop();
  process.exit(code);
};
process.once('SIGINT', () => void stop(130));
process.once('SIGTERM', () => void stop(143));

try {
  const config = sim.clientConfig();
  const region = sim.world.homeRegion;
  const hub = sim.world.managementAccountId;
  await new S3Client(config).send(new CreateBucketCommand({ Bucket: ARCHIVE_BUCKET, ObjectLockEnabledForBucket: true }));
  const keyId = (await new KMSClient(config).send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'zombie-sweep approval links' }))).KeyMetadata!.KeyId!;
  const sns = new SNSClient(config);
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'zombie-sweep-approvals' }))).TopicArn!;
  for (const approver of APPROVERS) {
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: approver, Attributes: { FilterPolicy: JSON.stringify({ approver: [approver] }) } }));
  }
  // Owners in the loop: two accounts name their owner in Organizations tags, one in the sweep's config;
  // Maria owns fraud-detector-v1 by its own tag. Each owner's subscription gets only their notices.
  const accountId = (name: string) => [...sim.world.accounts.values()].find((a) => a.name === name)!.id;
  organizationsAdminStore(sim.world).tagResource(accountId('ml-prod'), { owner: 'ml-prod-owners@acme.example' });
  organizationsAdminStore(sim.world).tagResource(accountId('data-science-sandbox'), { owner: 'ds-guild@acme.example' });
  const accountOwners = { [accountId('ml-dev')]: 'ml-dev-owners@acme.example' };
  for (const owner of [...OWNERS, ...Object.values(accountOwners)]) {
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: owner, Attributes: { FilterPolicy: JSON.stringify({ owner: [owner] }) } }));
  }

  out(`zombie-sweep demo: a simulated AWS organization (${sim.world.accounts.size} accounts) is answering on ${sim.url}`);
  out(`  organization page: ${sim.url}/    mail sent to approvers: ${sim.url}/_sim/outbox`);
  out(`  archive bucket s3://${ARCHIVE_BUCKET} (Object Lock), approval links signed by KMS key ${keyId}, topic ${topicArn}`);
  out(`Running a cleanup sweep across the organization${options.autoApprove ? ' with --auto-approve' : ''}...`);
  out();

  // What the prevention StackSet deploys in every member account: new endpoints get an owner and a deadline.
  autoTagger = attachAutoTagger(sim, { autoDeleteAfterDays: 90 });
  const host = attachToSimulator(sim);
  const sweepId = `demo-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
  const sweep = startSweepLocally({
    input: {
      sweepId,
      mode: 'cleanup',
      targets: { org: true, regions: 'all' },
      // No notice period in the demo (deployed sweeps default to 3 days): the veto links stay valid while the approvers decide.
      approval: { approvers: options.autoApprove ? [] : APPROVERS, autoApprove: options.autoApprove === true, notifyOwners: true, noticeSeconds: 0, accountOwners },
      requestedBy: `arn:aws:iam::${hub}:user/sim-admin`,
    },
    archiveBucket: ARCHIVE_BUCKET,
    accountId: hub,
    hubRegion: region,
    host,
    credentials: async () => config.credentials,
    s3ForcePathStyle: true,
    endpoint: sim.url,
    topicArn,
    approvalKeyId: keyId,
    autoApproveScaleToZero: options.scaleToZero === true,
    afterHandlerReturned: (_fn, event) => {
      if ((event as { step?: string }).step !== 'notify-owners') return;
      out();
      out('Owners were told first. Each got the list of their endpoints and a veto link ("Keep" removes the zombie tag):');
      for (const m of snsOutbox(sim.world).messages.filter((x) => x.message.includes(`/approvals/${sweepId}?owner=`))) {
        out(`  ${m.endpoint}: ${m.message.match(/https?:\/\/\S+owner=\S+/)?.[0] ?? ''}`);
      }
    },
    onApprovalRequested: (request) => {
      out();
      out(`Approval needed. Each approver got a link signed for them (see ${sim.url}/_sim/outbox). Open one in a browser,`);
      out('untick anything you want to keep, and submit; nothing is deleted without that decision:');
      for (const link of request.links) out(`  ${link.approver}: ${link.url}`);
      out(`Waiting for the decision (the window closes at ${request.expiresAt}; Ctrl-C stops the demo and deletes nothing)...`);
      out();
    },
  });

  let shown = 0;
  const follow = () => {
    const history = host.engine.describe(sweep.executionArn)?.history ?? [];
    for (const event of history.slice(shown)) {
      const line = describeEvent(event as never);
      if (line) out(`  ${line}`);
    }
    shown = history.length;
  };
  const timer = setInterval(follow, 250);
  const result = await sweep.done;
  clearInterval(timer);
  follow();
  out();

  const report = result.report;
  if (result.status !== 'SUCCEEDED' || !report) {
    out(`The sweep ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`);
    await stop(1);
  } else {
    const dir = resolve('.sim-data');
    mkdirSync(dir, { recursive: true });
    const htmlPath = resolve(dir, `report-${sweepId}.html`);
    writeFileSync(htmlPath, renderReportHtml(report));
    const s = report.summary;
    out(reportText(report).body);
    out();
    out(`In short: ${s.zombies} zombies costing ${money(s.zombieMonthlyCostUsd)}/month found; ${s.archived} archived (${s.artifactsArchived} artifact objects, ${bytes(s.bytesArchived)});`);
    out(`${s.deleted} deleted${s.scaledToZero ? `, ${s.scaledToZero} scaled to zero (kept, billing nothing; zombie-sweep restore brings them back)` : ''}, saving ${money(s.savedMonthlyCostUsd)}/month; ${s.skipped.length} skipped${s.skipped.length ? ` (${s.skipped.map((k) => `${k.endpointName}: ${k.reason}`).join('; ')})` : ''}.`);
    const savings = summarizeSavings(await loadSavings(new S3Client(config), ARCHIVE_BUCKET));
    out(`Savings (zombie-sweep savings): ${savings.endpoints} endpoints removed, ${money(savings.runRateUsd)}/month no longer paid.`);
    await showPrevention(config, hub);
    out(`Audit trail: s3://${ARCHIVE_BUCKET}/audit/ (per endpoint under audit/endpoints/<account>/<region>/<endpoint>/)`);
    out(`HTML report: ${htmlPath}`);
    out(`Finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    // An auto-approved demo that deleted nothing would hide a broken workflow from CI.
    await stop(options.autoApprove && (s.zombies === 0 || s.deleted === 0) ? 1 : 0);
  }
} catch (error) {
  process.stderr.write(`demo failed: ${(error as Error)?.stack ?? String(error)}\n`);
  await stop(1);
}

/** Prevention: a team deploys a new endpoint; the auto-tagger gives it an owner and a deadline. */
async function showPrevention(config: ReturnType<typeof sim.clientConfig>, account: string): Promise<void> {
  const sagemaker = new SageMakerClient(config);
  await sagemaker.send(new CreateModelCommand({ ModelName: 'new-team-model', ExecutionRoleArn: `arn:aws:iam::${account}:role/sagemaker-execution`, PrimaryContainer: { Image: `${account}.dkr.ecr.${sim.world.homeRegion}.amazonaws.com/serve:1` } }));
  await sagemaker.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'new-team-config', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'new-team-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }));
  const { EndpointArn } = await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'new-team-endpoint', EndpointConfigName: 'new-team-config' }));
  await autoTagger?.settle();
  const tags = tagListToMap((await sagemaker.send(new ListTagsCommand({ ResourceArn: EndpointArn! }))).Tags);
  out(`Prevention: a team just created new-team-endpoint; the auto-tagger tagged it created-by=${tags['created-by'] ?? '?'} auto-delete-after=${tags['auto-delete-after'] ?? '?'}.`);
}

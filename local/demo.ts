/**
 * `npm run demo [-- --auto-approve] [--delete-only] [--port N] [--seed N]`: the whole product on a laptop.
 * Starts the simulated demo organization, creates what the hub stack would (archive bucket with Object
 * Lock, a KMS HMAC key for approval links, the SNS topic with one filtered subscription per approver and
 * owner), and runs two cleanup sweeps with the real state machine: ml-prod decided by an approver group
 * with a quorum of two (matched by a nested OU), then the other accounts decided by one approver, who may
 * scale to zero instead of deleting. Owners are told first, with veto links. Without --auto-approve it
 * waits for people to decide on the approval pages; with it, the demo presses the group approvers'
 * buttons and auto-approves the second sweep (scaling to zero where AWS allows, unless --delete-only).
 * Ends with the savings view and an endpoint the auto-tagger just tagged.
 */
import '../src/core/polyfills.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { Command } from 'commander';
import { describeEvent } from '../src/sweep/deployed.ts';
import { renderReportHtml } from '../src/sweep/html.ts';
import { bytes, money, reportText } from '../src/sweep/text.ts';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { tagListToMap } from '../src/core/tags.ts';
import { loadSavings, summarizeSavings } from '../src/savings/query.ts';
import { attachAutoTagger } from './prevention.ts';
import { attachToSimulator, startSweepLocally, type ApprovalRequested } from './runner/index.ts';
import { renderSavings } from '../cli/commands/savings.ts';
import type { SweepInput } from '../src/core/schemas.ts';
import type { SweepReport, SweepSummary } from '../src/sweep/model.ts';
import { organizationsAdminStore, startScenarioSimulator } from './sim/index.ts';
import { notificationTopic } from './sim/notification-topic.ts';

// Node 20 is supported (package.json engines); the SDK's notice about its future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ARCHIVE_BUCKET = 'acme-zombie-sweep-archive';
const APPROVERS = ['ml-platform-lead@acme.example', 'finops@acme.example'];
/** The Workloads OU's approver group (ml-prod is in Production, nested inside Workloads). */
const PROD_APPROVERS = ['prod-lead@acme.example', 'sre-lead@acme.example'];
const WORKLOADS_OU = 'ou-a1b2-workloads';
const OWNERS = ['maria.garcia@acme.example', 'ml-prod-owners@acme.example', 'ds-guild@acme.example'];
const out = (line = '') => process.stdout.write(`${line}\n`);

const options = new Command('demo')
  .description('Run a zombie-sweep cleanup sweep against the simulated demo organization.')
  .option('--auto-approve', 'approve every zombie without waiting for a person (recorded as auto-approve)')
  .option(
    '--delete-only',
    'with --auto-approve: delete every approved endpoint (default: scale to zero instead wherever AWS allows it: asynchronous and inference-component endpoints)',
  )
  .option('--port <port>', 'simulator port (default: any free port)', '0')
  .option('--seed <n>', 'seed for synthetic artifact content', '1')
  .parse(process.argv)
  .opts<{ autoApprove?: boolean; deleteOnly?: boolean; port: string; seed: string }>();
const scaleToZero = options.deleteOnly !== true;

const started = Date.now();
const sim = await startScenarioSimulator({ scenario: 'demo', port: Number(options.port), seed: Number(options.seed) });
let stopping = false;
let autoTagger: ReturnType<typeof attachAutoTagger> | undefined;
let accountId!: (name: string) => string;
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
  const keyId = (
    await new KMSClient(config).send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC', Description: 'zombie-sweep approval links' }))
  ).KeyMetadata!.KeyId!;
  const sns = new SNSClient(config);
  const topicArn = await notificationTopic(sns, { approvers: [...APPROVERS, ...PROD_APPROVERS] });
  // Owners in the loop: two accounts name their owner in Organizations tags, one in the sweep's config;
  // Maria owns fraud-detector-v1 by its own tag. Each owner's subscription gets only their notices.
  accountId = (name: string) => [...sim.world.accounts.values()].find((a) => a.name === name)!.id;
  organizationsAdminStore(sim.world).tagResource(accountId('ml-prod'), { owner: 'ml-prod-owners@acme.example' });
  organizationsAdminStore(sim.world).tagResource(accountId('data-science-sandbox'), { owner: 'ds-guild@acme.example' });
  const accountOwners = { [accountId('ml-dev')]: 'ml-dev-owners@acme.example' };
  for (const owner of [...OWNERS, ...Object.values(accountOwners)]) {
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: owner, Attributes: { FilterPolicy: JSON.stringify({ owner: [owner] }) } }),
    );
  }

  out(`zombie-sweep demo: a simulated AWS organization (${sim.world.accounts.size} accounts) is answering on ${sim.url}`);
  out(`  organization page: ${sim.url}/    mail sent to approvers: ${sim.url}/_sim/outbox`);
  out(`  archive bucket s3://${ARCHIVE_BUCKET} (Object Lock), approval links signed by KMS key ${keyId}, topic ${topicArn}`);
  out();

  // What the prevention StackSet deploys in every member account: new endpoints get an owner and a deadline.
  autoTagger = attachAutoTagger(sim, { autoDeleteAfterDays: 90 });
  const host = attachToSimulator(sim);
  const run = (sweep: DemoSweep) => runDemoSweep(sweep, { config, keyId, topicArn, host, hub, region, accountOwners });
  // Production is decided by the Workloads OU's approver group, two approvals needed (ml-prod sits in
  // Production, nested in Workloads); everything else by one approver, who may scale to zero instead.
  out(
    `Sweep 1 of 2: the ml-prod account (OU Production, inside Workloads), decided by the approver group "workloads" (${PROD_APPROVERS.join(', ')}), 2 approvals needed${options.autoApprove ? "; --auto-approve presses both approvers' buttons on the approval page" : ''}.`,
  );
  const first = await run({ suffix: 'prod', targets: { org: true, accounts: [accountId('ml-prod')], regions: 'all' }, groups: true });
  out();
  out(
    `Sweep 2 of 2: every other account, decided by one approver${options.autoApprove ? ` (--auto-approve${scaleToZero ? ', scaling to zero wherever AWS allows it' : ''})` : ' (the page offers scale to zero where AWS allows it)'}.`,
  );
  const second = await run({ suffix: 'rest', targets: { org: true, excludeAccounts: [accountId('ml-prod')], regions: 'all' }, groups: false });
  out();
  await showSavings(config);
  await showPrevention(config, hub);
  out(`Audit trail: s3://${ARCHIVE_BUCKET}/audit/ (per endpoint under audit/endpoints/<account>/<region>/<endpoint>/)`);
  out(`Finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  // An auto-approved demo that deleted nothing would hide a broken workflow from CI.
  const removed = [first, second].reduce((n, s) => n + (s ? s.deleted + (s.scaledToZero ?? 0) : 0), 0);
  await stop(!first || !second || (options.autoApprove && removed === 0) ? 1 : 0);
} catch (error) {
  process.stderr.write(`demo failed: ${(error as Error)?.stack ?? String(error)}\n`);
  await stop(1);
}

/** Prevention: a team deploys a new endpoint; the auto-tagger gives it an owner and a deadline. */
async function showPrevention(config: ReturnType<typeof sim.clientConfig>, account: string): Promise<void> {
  const sagemaker = new SageMakerClient(config);
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: 'new-team-model',
      ExecutionRoleArn: `arn:aws:iam::${account}:role/sagemaker-execution`,
      PrimaryContainer: { Image: `${account}.dkr.ecr.${sim.world.homeRegion}.amazonaws.com/serve:1` },
    }),
  );
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'new-team-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'new-team-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    }),
  );
  const { EndpointArn } = await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'new-team-endpoint', EndpointConfigName: 'new-team-config' }));
  await autoTagger?.settle();
  const tags = tagListToMap((await sagemaker.send(new ListTagsCommand({ ResourceArn: EndpointArn! }))).Tags);
  out(
    `Prevention: a team just created new-team-endpoint; the auto-tagger tagged it created-by=${tags['created-by'] ?? '?'} auto-delete-after=${tags['auto-delete-after'] ?? '?'}.`,
  );
}

interface DemoSweep {
  suffix: string;
  targets: SweepInput['targets'];
  groups: boolean;
}

interface DemoContext {
  config: ReturnType<typeof sim.clientConfig>;
  keyId: string;
  topicArn: string;
  host: ReturnType<typeof attachToSimulator>;
  hub: string;
  region: string;
  accountOwners: Record<string, string>;
}

/** One cleanup sweep with the real state machine: progress, owners' veto links, approval, then its report. */
async function runDemoSweep(demo: DemoSweep, ctx: DemoContext): Promise<SweepSummary | undefined> {
  const sweepId = `demo-${demo.suffix}-${new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
  const groups = demo.groups ? [{ name: 'workloads', approvers: PROD_APPROVERS, match: { ous: [WORKLOADS_OU] }, requiredApprovals: 2 }] : [];
  const auto = options.autoApprove === true && !demo.groups;
  const sweep = startSweepLocally({
    input: {
      sweepId,
      mode: 'cleanup',
      targets: demo.targets,
      // No notice period in the demo (deployed sweeps default to 3 days): the veto links stay valid while the approvers decide.
      approval: {
        approvers: auto ? [] : APPROVERS,
        autoApprove: auto,
        notifyOwners: true,
        noticeSeconds: 0,
        accountOwners: ctx.accountOwners,
        ...(groups.length > 0 ? { groups } : {}),
      },
      requestedBy: `arn:aws:iam::${ctx.hub}:user/sim-admin`,
    } as SweepInput,
    archiveBucket: ARCHIVE_BUCKET,
    accountId: ctx.hub,
    hubRegion: ctx.region,
    host: ctx.host,
    credentials: async () => ctx.config.credentials,
    s3ForcePathStyle: true,
    endpoint: sim.url,
    topicArn: ctx.topicArn,
    approvalKeyId: ctx.keyId,
    autoApproveScaleToZero: scaleToZero,
    onOwnersNotified: (notice) => {
      out();
      out('Owners were told first. Each got the list of their endpoints and a veto link ("Keep" removes the zombie tag):');
      for (const link of notice.links) out(`  ${link.owner} (${link.endpoints.join(', ')}): ${link.url}`);
    },
    onApprovalRequested: (request) => void approvalRequested(request, demo.groups),
  });
  let shown = 0;
  const follow = () => {
    const history = ctx.host.engine.describe(sweep.executionArn)?.history ?? [];
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
  if (result.status !== 'SUCCEEDED' || !result.report) {
    out(`The sweep ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`);
    return undefined;
  }
  return showReport(result.report, sweepId);
}

/** Prints the approvers' links; with --auto-approve, presses each group approver's button (every endpoint ticked). */
async function approvalRequested(request: ApprovalRequested, grouped: boolean): Promise<void> {
  out();
  out(`Approval needed. Each approver got a link signed for them${grouped ? ' and their group' : ''} (see ${sim.url}/_sim/outbox):`);
  for (const link of request.links) out(`  ${link.approver}${link.group ? ` (group ${link.group})` : ''}: ${link.url}`);
  if (!options.autoApprove) {
    out('Open one in a browser, untick anything you want to keep, and submit; nothing is deleted without that decision.');
    out(`Waiting for the decision (the window closes at ${request.expiresAt}; Ctrl-C stops the demo and deletes nothing)...`);
    out();
    return;
  }
  for (const link of request.links.filter((l) => l.group === 'workloads')) {
    const answer = await approveEverything(link.url);
    out(`  ${link.approver} approved on the page (group ${link.group}): ${answer}`);
  }
  out();
}

/** What a browser submits when every box stays ticked and the approver confirms. */
async function approveEverything(url: string): Promise<string> {
  const page = await (await fetch(url)).text();
  const form = new URLSearchParams();
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) form.append(name!, unescape(value!));
  for (const [, value] of page.matchAll(/<input type="checkbox"[^>]*name="endpoint" value="([^"]+)"/g)) form.append('endpoint', unescape(value!));
  form.append('action', 'approve');
  const response = await fetch(url.split('?')[0]!, {
    method: 'POST',
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(url).origin },
  });
  const title = (await response.text()).match(/<h1>([^<]*)<\/h1>/)?.[1] ?? '';
  return `${response.status} ${title}`;
}

function showReport(report: SweepReport, sweepId: string): SweepSummary {
  const dir = resolve('.sim-data');
  mkdirSync(dir, { recursive: true });
  const htmlPath = resolve(dir, `report-${sweepId}.html`);
  writeFileSync(htmlPath, renderReportHtml(report));
  const s = report.summary;
  out(reportText(report).body);
  out();
  out(
    `In short: ${s.zombies} zombies costing ${money(s.zombieMonthlyCostUsd)}/month found; ${s.archived} archived (${s.artifactsArchived} artifact objects, ${bytes(s.bytesArchived)});`,
  );
  out(
    `${s.deleted} deleted${s.scaledToZero ? `, ${s.scaledToZero} scaled to zero (kept, billing nothing; zombie-sweep restore brings them back)` : ''}, saving ${money(s.savedMonthlyCostUsd)}/month; ${s.skipped.length} skipped${s.skipped.length ? ` (${s.skipped.map((k) => `${k.endpointName}: ${k.reason}`).join('; ')})` : ''}.`,
  );
  for (const a of report.actions.filter((x) => x.deletion === 'scaled-to-zero'))
    out(`Scaled to zero: ${a.endpointName} (${a.accountId}, ${a.region}), ${money(a.monthlyCostUsd ?? 0)}/month no longer billed; it still exists.`);
  out(`HTML report: ${htmlPath}`);
  return s;
}

/** The savings view: what `zombie-sweep savings --archive-bucket <bucket>` prints. */
async function showSavings(config: ReturnType<typeof sim.clientConfig>): Promise<void> {
  const summary = summarizeSavings(await loadSavings(new S3Client(config), ARCHIVE_BUCKET));
  out(`Savings view (zombie-sweep savings --archive-bucket ${ARCHIVE_BUCKET}):`);
  out(renderSavings(summary, 'table').trimEnd());
  out();
}

import { parseScenario } from './build.ts';
import type { Scenario, ScenarioInput } from './schema.ts';

/**
 * The built-in `demo` organization: a management account and three member accounts (dev, prod, a data
 * science sandbox) in nested OUs, two regions each, and 20 endpoints covering every kind and every trap
 * detection must get right. About $3.2k/month of it is zombie (see `expect` on each endpoint):
 * fraud-detector-v1, llm-summarizer-demo, translation-batch-async, recsys-ab-test-2024,
 * demand-forecast-serverless, xgboost-tutorial-endpoint and pipeline-inference-demo.
 */
const MGMT = '210987654321';
export const DEMO_ACCOUNTS = { management: MGMT, dev: '345678901234', prod: '456789012345', sandbox: '567890123456' } as const;
const { dev: DEV, prod: PROD, sandbox: SANDBOX } = DEMO_ACCOUNTS;
const US = 'us-east-1';
const EU = 'eu-west-1';

const PYTORCH_GPU = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-gpu-py310';
const PYTORCH_CPU = '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310';
const XGBOOST = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';
const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
const TGI = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1.1-tgi2.0.0-gpu-py310-cu121-ubuntu22.04';
const MB = 1024 * 1024;

/** A tar.gz artifact in the account's default SageMaker bucket. */
const tarball = (account: string, region: string, path: string, size: number) => ({ uri: `s3://sagemaker-${region}-${account}/${path}/model.tar.gz`, size });
const busy = (perDay: number) => [{ daysAgo: [0, 59] as [number, number], perDay }];

const input: ScenarioInput = {
  name: 'demo',
  description: 'Acme Corp: three member accounts, two regions, 20 SageMaker endpoints of every kind; about $3.2k/month of zombies.',
  organization: { id: 'o-a1b2c3d4e5', rootId: 'r-a1b2', managementAccountId: MGMT, homeRegion: US },
  ous: [
    { id: 'ou-a1b2-workloads', name: 'Workloads' },
    { id: 'ou-a1b2-production', name: 'Production', parent: 'ou-a1b2-workloads' },
    { id: 'ou-a1b2-developmnt', name: 'Development', parent: 'ou-a1b2-workloads' },
    { id: 'ou-a1b2-sandboxes', name: 'Sandboxes' },
  ],
  accounts: [
    { id: MGMT, name: 'acme-management', regions: [US, EU], joinedDaysAgo: 1500 },
    { id: DEV, name: 'ml-dev', ou: 'ou-a1b2-developmnt', regions: [US, EU] },
    { id: PROD, name: 'ml-prod', ou: 'ou-a1b2-production', regions: [US, EU] },
    { id: SANDBOX, name: 'data-science-sandbox', ou: 'ou-a1b2-sandboxes', regions: [US, EU], joinedDaysAgo: 400 },
  ],
  buckets: [
    {
      name: 'acme-ml-models-prod',
      account: PROD,
      region: US,
      objects: [{ key: 'README.txt', size: 120, content: 'Production model registry exports. Owner: ml-platform@acme.example\n' }],
    },
  ],
  endpoints: [
    // ---- ml-dev, us-east-1
    {
      account: DEV,
      region: US,
      name: 'fraud-detector-v1',
      createdDaysAgo: 210,
      tags: { team: 'fraud', owner: 'maria.garcia@acme.example' },
      variants: [
        {
          instanceType: 'ml.g4dn.xlarge',
          model: { image: PYTORCH_GPU, artifact: tarball(DEV, US, 'fraud-detector/v1', 310 * MB) },
          invocations: [{ daysAgo: [150, 209], perDay: 2400 }],
        },
      ],
      expect: { verdict: 'zombie', note: 'superseded by v2; last invoked about 150 days ago' },
    },
    {
      account: DEV,
      region: US,
      name: 'fraud-detector-v2-staging',
      createdDaysAgo: 140,
      tags: { team: 'fraud', env: 'staging' },
      variants: [
        { instanceType: 'ml.m5.large', model: { image: PYTORCH_CPU, artifact: tarball(DEV, US, 'fraud-detector/v2', 330 * MB) }, invocations: busy(1200) },
      ],
      expect: { verdict: 'active' },
    },
    {
      account: DEV,
      region: US,
      name: 'llm-summarizer-demo',
      createdDaysAgo: 75,
      tags: { team: 'genai', purpose: 'customer demo' },
      variants: [
        {
          instanceType: 'ml.g5.2xlarge',
          model: {
            image: TGI,
            environment: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1' },
            artifact: {
              uri: `s3://acme-genai-dev-artifacts/llm-summarizer/mistral-7b/`,
              as: 'S3Prefix',
              files: [
                { key: 'config.json', size: 600 },
                { key: 'tokenizer.json', size: 1_800_000 },
                { key: 'model-00001-of-00002.safetensors', size: 4_943_000_000 },
                { key: 'model-00002-of-00002.safetensors', size: 5_400_000_000 },
              ],
            },
          },
        },
      ],
      expect: { verdict: 'zombie', note: 'never invoked; 10 GB of weights under an S3Prefix, one shard over 5 GiB' },
    },
    {
      account: DEV,
      region: US,
      name: 'churn-model-poc',
      type: 'serverless',
      createdDaysAgo: 120,
      variants: [{ serverless: { memoryMb: 2048, maxConcurrency: 5 }, model: { image: XGBOOST, artifact: tarball(DEV, US, 'churn/poc', 2 * MB) } }],
      expect: { verdict: 'not-billable', note: 'serverless without provisioned concurrency costs nothing idle' },
    },
    {
      account: DEV,
      region: US,
      name: 'sentiment-ab-test',
      createdDaysAgo: 95,
      tags: { team: 'cx-analytics' },
      variants: [
        { name: 'control', instanceType: 'ml.c5.xlarge', weight: 0, model: { image: PYTORCH_CPU, artifact: tarball(DEV, US, 'sentiment/control', 420 * MB) } },
        {
          name: 'challenger',
          instanceType: 'ml.c5.xlarge',
          weight: 1,
          model: { image: PYTORCH_CPU, artifact: tarball(DEV, US, 'sentiment/challenger', 440 * MB) },
          invocations: busy(800),
        },
      ],
      expect: { verdict: 'active', note: 'all traffic goes to the second variant' },
    },
    // ---- ml-dev, eu-west-1
    {
      account: DEV,
      region: EU,
      name: 'doc-classifier-new',
      createdDaysAgo: 3,
      tags: { team: 'docs' },
      variants: [{ instanceType: 'ml.m5.xlarge', model: { image: PYTORCH_CPU, artifact: tarball(DEV, EU, 'doc-classifier/v1', 250 * MB) } }],
      expect: { verdict: 'too-new' },
    },
    {
      account: DEV,
      region: EU,
      name: 'translation-batch-async',
      type: 'async',
      createdDaysAgo: 160,
      tags: { team: 'localization' },
      variants: [{ instanceType: 'ml.g4dn.xlarge', model: { image: PYTORCH_GPU, artifact: tarball(DEV, EU, 'translation/opus-mt', 1200 * MB) } }],
      async: { invocationsProcessed: [{ daysAgo: [60, 120], perDay: 35 }] },
      expect: { verdict: 'zombie', note: 'async: no processed requests for 60 days' },
    },
    // ---- ml-prod, us-east-1
    {
      account: PROD,
      region: US,
      name: 'recommendations-prod',
      createdDaysAgo: 400,
      updatedDaysAgo: 45,
      tags: { team: 'personalization', env: 'prod' },
      variants: [
        {
          instanceType: 'ml.c5.2xlarge',
          instanceCount: 2,
          currentInstanceCount: 3,
          autoscaling: { min: 2, max: 6, targetInvocationsPerInstance: 1000 },
          model: { image: XGBOOST, artifact: tarball(PROD, US, 'recommendations/2024-10', 90 * MB) },
          invocations: busy(250_000),
        },
      ],
      expect: { verdict: 'active' },
    },
    {
      account: PROD,
      region: US,
      name: 'genai-platform',
      type: 'inference-components',
      createdDaysAgo: 180,
      tags: { team: 'genai', env: 'prod' },
      variants: [{ name: 'main', instanceType: 'ml.g5.12xlarge' }],
      inferenceComponents: [
        {
          name: 'chat-assistant',
          acceleratorDevices: 2,
          memoryMb: 32_768,
          model: { image: TGI, artifact: { uri: 's3://acme-ml-models-prod/genai/chat-assistant/', as: 'S3Prefix', files: 6, size: 2_100_000_000 } },
          invocations: busy(5000),
        },
        {
          name: 'embedder',
          acceleratorDevices: 1,
          memoryMb: 8192,
          container: { artifact: { uri: 's3://acme-ml-models-prod/genai/embedder/model.tar.gz', size: 640 * MB } },
        },
      ],
      expect: { verdict: 'active', note: 'traffic only shows up per inference component' },
    },
    {
      account: PROD,
      region: US,
      name: 'search-ranker-v3',
      createdDaysAgo: 200,
      tags: { team: 'search' },
      variants: [
        {
          instanceType: 'ml.inf2.xlarge',
          model: { image: PYTORCH_CPU, artifact: tarball(PROD, US, 'search-ranker/v3', 780 * MB) },
          invocations: [{ daysAgo: 20, perDay: 5400 }],
        },
      ],
      expect: { verdict: 'active', note: 'only invoked 20 days ago, inside a 30-day window' },
    },
    {
      account: PROD,
      region: US,
      name: 'image-moderation',
      type: 'multi-model',
      createdDaysAgo: 260,
      tags: { team: 'trust-safety' },
      variants: [
        {
          instanceType: 'ml.g4dn.2xlarge',
          model: {
            image: PYTORCH_GPU,
            artifact: {
              uri: 's3://acme-ml-models-prod/image-moderation/models/',
              files: Array.from({ length: 12 }, (_, i) => ({ key: `classifier-${i + 1}.tar.gz`, size: 150_000 + i * 1000 })),
            },
          },
          invocations: busy(30_000),
        },
      ],
      expect: { verdict: 'active' },
    },
    {
      account: PROD,
      region: US,
      name: 'claims-ocr-async',
      type: 'async',
      createdDaysAgo: 300,
      tags: { team: 'claims' },
      variants: [{ instanceType: 'ml.g4dn.xlarge', model: { image: PYTORCH_GPU, artifact: tarball(PROD, US, 'claims-ocr/v4', 900 * MB) } }],
      async: { invocationsProcessed: busy(40) },
      expect: { verdict: 'active', note: 'async traffic is InvocationsProcessed' },
    },
    // ---- ml-prod, eu-west-1
    {
      account: PROD,
      region: EU,
      name: 'customer-support-bot-legacy',
      createdDaysAgo: 500,
      tags: { team: 'cx', 'zombie-exempt': 'true', reason: 'regulatory hold until migration' },
      variants: [{ instanceType: 'ml.p3.2xlarge', model: { image: PYTORCH_GPU, artifact: tarball(PROD, EU, 'support-bot/legacy', 2100 * MB) } }],
      expect: { verdict: 'exempt' },
    },
    {
      account: PROD,
      region: EU,
      name: 'payments-anomaly-eu',
      createdDaysAgo: 330,
      tags: { team: 'payments', env: 'prod' },
      variants: [
        {
          instanceType: 'ml.m5.xlarge',
          instanceCount: 2,
          autoscaling: { min: 2, max: 4 },
          model: { image: XGBOOST, artifact: tarball(PROD, EU, 'payments-anomaly/v7', 40 * MB) },
          invocations: busy(90_000),
        },
      ],
      expect: { verdict: 'active' },
    },
    {
      account: PROD,
      region: EU,
      name: 'recsys-ab-test-2024',
      createdDaysAgo: 220,
      tags: { team: 'personalization' },
      variants: [
        {
          instanceType: 'ml.inf2.xlarge',
          model: { image: PYTORCH_CPU, artifact: tarball(PROD, EU, 'recsys/ab-2024', 700 * MB) },
          invocations: [{ daysAgo: 40, perDay: 1800 }],
        },
      ],
      expect: { verdict: 'zombie', note: 'last invoked 40 days ago' },
    },
    {
      account: PROD,
      region: EU,
      name: 'demand-forecast-serverless',
      type: 'serverless',
      createdDaysAgo: 60,
      variants: [
        {
          serverless: { memoryMb: 4096, maxConcurrency: 10, provisionedConcurrency: 2 },
          model: { image: XGBOOST, artifact: tarball(PROD, EU, 'demand-forecast/v2', 12 * MB) },
        },
      ],
      expect: { verdict: 'zombie', note: 'serverless, but provisioned concurrency bills while idle' },
    },
    // ---- data-science-sandbox
    {
      account: SANDBOX,
      region: US,
      name: 'xgboost-tutorial-endpoint',
      createdDaysAgo: 300,
      tags: { owner: 'intern-2024' },
      variants: [
        {
          instanceType: 'ml.m5.large',
          model: { image: XGBOOST, artifact: { uri: `s3://sagemaker-${US}-${SANDBOX}/xgboost-tutorial/output/model.tar.gz`, as: 'S3Object', size: 60_000 } },
        },
      ],
      expect: { verdict: 'zombie', note: 'never invoked' },
    },
    {
      account: SANDBOX,
      region: US,
      name: 'bert-finetune-test',
      createdDaysAgo: 45,
      tags: { owner: 'j.chen', 'auto-delete-after': '2099-12-31' },
      variants: [{ instanceType: 'ml.g4dn.xlarge', model: { image: PYTORCH_GPU, artifact: tarball(SANDBOX, US, 'bert-finetune/run-17', 420 * MB) } }],
      expect: { verdict: 'exempt', note: 'auto-delete-after in the future' },
    },
    {
      account: SANDBOX,
      region: US,
      name: 'pipeline-inference-demo',
      createdDaysAgo: 250,
      tags: { owner: 'ds-guild' },
      variants: [
        {
          instanceType: 'ml.c5.xlarge',
          model: {
            containers: [
              { image: SKLEARN, artifact: tarball(SANDBOX, US, 'pipeline-demo/preprocessor', 3 * MB) },
              { image: XGBOOST, artifact: tarball(SANDBOX, US, 'pipeline-demo/xgboost', 25 * MB) },
            ],
          },
          invocations: [{ daysAgo: [100, 130], perDay: 15 }],
        },
      ],
      expect: { verdict: 'zombie', note: 'inference pipeline (two containers); last invoked 100 days ago' },
    },
    {
      account: SANDBOX,
      region: EU,
      name: 'pytorch-sandbox-failed',
      createdDaysAgo: 12,
      status: 'Failed',
      tags: { owner: 'j.chen' },
      variants: [{ instanceType: 'ml.g5.xlarge', model: { image: PYTORCH_GPU, artifact: tarball(SANDBOX, EU, 'pytorch-sandbox/broken', 5 * MB) } }],
    },
  ],
  settings: { transitionDelayMs: 300, latencyMs: 0, throttling: false },
};

export const demoScenario: Scenario = parseScenario(input, 'demo scenario');

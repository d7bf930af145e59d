import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autoTaggerCode } from '../../infra/member/prevention.ts';
import { configWith, resourcesOf, synthesize, type Synthesized } from './synth.ts';

/** The auto-tagger StackSet (docs/prevention.md), synthesized with prevention on in two regions. */
let synth: Synthesized;
beforeAll(() => {
  synth = synthesize(configWith({ prevention: { autoTagger: { enabled: true, regions: ['us-east-1', 'eu-west-1'], autoDeleteAfterDays: 60 } } }));
});
afterAll(() => synth?.cleanup());

const preventionStackSet = (s: Synthesized) =>
  Object.values(resourcesOf(s.json, 'AWS::CloudFormation::StackSet')).find((r) => String(r.Properties.StackSetName).endsWith('-prevention'))?.Properties;

/** The template body as CloudFormation would read it (only the partition placeholders stay unresolved). */
function body(s: Synthesized): Record<string, any> {
  const raw = preventionStackSet(s).TemplateBody as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof raw === 'string' ? raw : raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'resolved-at-deploy')).join('');
  expect(text.length).toBeLessThan(51_200); // CreateStackSet TemplateBody limit
  return JSON.parse(text);
}

describe('prevention StackSet', () => {
  it('deploys to every configured region of the target OUs, apart from the member roles', () => {
    expect(preventionStackSet(synth)).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      StackInstancesGroup: [{ Regions: ['us-east-1', 'eu-west-1'], DeploymentTargets: { OrganizationalUnitIds: synth.config.targetOus } }],
    });
    // Its own StackSet beside the member-role ones, so enabling it never touches the roles sweeps use.
    const names = Object.values(resourcesOf(synth.json, 'AWS::CloudFormation::StackSet')).map((r) => String(r.Properties.StackSetName));
    expect(names.filter((n) => n.endsWith('-prevention'))).toHaveLength(1);
    expect(names.length).toBeGreaterThan(1);
  });

  it('routes SageMaker create calls from CloudTrail to the inline auto-tagger with its own least-privilege role', () => {
    const { Resources } = body(synth);
    expect(Object.keys(Resources).sort()).toEqual(['AutoTagger', 'AutoTaggerLogs', 'AutoTaggerRole', 'CreateCallsRule', 'RuleMayInvoke']);
    expect(Resources.CreateCallsRule.Properties.EventPattern).toEqual({
      source: ['aws.sagemaker'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { eventSource: ['sagemaker.amazonaws.com'], eventName: ['CreateEndpoint', 'CreateInferenceComponent'] },
    });
    const fn = Resources.AutoTagger.Properties;
    expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', Environment: { Variables: { AUTO_DELETE_AFTER_DAYS: '60' } } });
    expect(fn.Code.ZipFile).toBe(autoTaggerCode());
    const actions = Resources.AutoTaggerRole.Properties.Policies[0].PolicyDocument.Statement.flatMap((s: any) => [].concat(s.Action));
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sagemaker:AddTags', 'sagemaker:ListTags']);
    expect(Resources.RuleMayInvoke.Properties).toMatchObject({ Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });

  it('is absent unless enabled, and enabled without regions is refused naming the field', () => {
    expect(() => configWith({ prevention: { autoTagger: { enabled: true } } })).toThrow(/prevention\.autoTagger\.regions/);
  });
});

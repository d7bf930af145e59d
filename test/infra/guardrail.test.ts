import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith, resourcesOf, synthesize, type Synthesized } from './synth.ts';

/** The opt-in guardrail SCP (docs/prevention.md "Guardrail SCP"): off by default, attached where configured. */
let off: Synthesized;
let on: Synthesized;
let targeted: Synthesized;
beforeAll(() => {
  off = synthesize(configWith({}));
  on = synthesize(configWith({ prevention: { guardrailScp: { enabled: true } } }));
  targeted = synthesize(configWith({ prevention: { guardrailScp: { enabled: true, targetIds: ['ou-abcd-11111111', '123456789012'] } } }));
});
afterAll(() => {
  off?.cleanup();
  on?.cleanup();
  targeted?.cleanup();
});

const policies = (s: Synthesized) => Object.values(resourcesOf(s.json, 'AWS::Organizations::Policy')).map((r) => r.Properties);

describe('guardrail SCP', () => {
  it('is not created unless enabled', () => {
    expect(policies(off)).toEqual([]);
  });

  it('creates the SCP from policies/scp-require-auto-delete-after.json and attaches it to the target OUs by default', () => {
    const [scp] = policies(on);
    expect(scp).toMatchObject({ Type: 'SERVICE_CONTROL_POLICY', Name: 'zombie-sweep-require-auto-delete-after', TargetIds: on.config.targetOus });
    const text = JSON.stringify(scp.Content);
    expect(text).toContain('DenyEndpointsWithoutAutoDeleteAfterTag');
    expect(text).toContain('DenyRemovingAutoDeleteAfterTag');
    expect(text).toContain(on.config.restoreRole.name);
    expect(text).not.toMatch(/\$\{(RestoreRoleName|MemberTagRoleName)\}/);
  });

  it('attaches to the configured targets instead when given', () => {
    expect(policies(targeted)[0]).toMatchObject({ TargetIds: ['ou-abcd-11111111', '123456789012'] });
  });
});

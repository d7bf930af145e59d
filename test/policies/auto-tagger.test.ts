import { describe, expect, it } from 'vitest';
import { PREVENTION_TAG } from '../../src/prevention/auto-tag.ts';
import { TAG, EXEMPT_TAG } from '../../src/core/tags.ts';
import { MEMBER, ORG, REGION, decide, policy, type Caller, type Request } from './simulate.ts';

/**
 * The member-account auto-tagger (policies/member-auto-tagger-policy.json): what a compromised or buggy
 * tagger could do with its grant. It may add exactly `created-by` and `auto-delete-after` to endpoints
 * and inference components in its own account and region, and read their tags; nothing else.
 */
const tagger: Caller = { accountId: MEMBER, roleName: 'zombie-sweep-auto-tagger', orgId: ORG, identityPolicies: [policy('member-auto-tagger-policy')] };
const arn = (kind: string, name: string, region = REGION, account = MEMBER) => `arn:aws:sagemaker:${region}:${account}:${kind}/${name}`;
const on = (action: string, resource: string, context: Request['context'] = {}, resourceAccount = MEMBER): Request => ({
  action,
  resource,
  resourceAccount,
  context,
});
const addTags = (keys: string[], resource = arn('endpoint', 'new-ep')) => on('sagemaker:AddTags', resource, { 'aws:TagKeys': keys });

describe('auto-tagger role', () => {
  it('adds created-by and auto-delete-after to new endpoints and inference components, and reads their tags', async () => {
    const keys = [PREVENTION_TAG.createdBy, PREVENTION_TAG.autoDeleteAfter];
    expect(await decide(tagger, addTags(keys))).toBe('Allowed');
    expect(await decide(tagger, addTags([PREVENTION_TAG.createdBy], arn('inference-component', 'ic-1')))).toBe('Allowed');
    expect(await decide(tagger, on('sagemaker:ListTags', arn('endpoint', 'new-ep')))).toBe('Allowed');
  });

  it.each([TAG.zombie, TAG.sweepId, EXEMPT_TAG.exempt, EXEMPT_TAG.exemptUntil, 'owner', 'zombie-protected'])(
    'cannot write %s, alone or beside its own keys',
    async (key) => {
      expect(await decide(tagger, addTags([key]))).not.toBe('Allowed');
      expect(await decide(tagger, addTags([PREVENTION_TAG.autoDeleteAfter, key]))).not.toBe('Allowed');
    },
  );

  it('cannot remove tags, delete, or touch configs, models or other regions and accounts', async () => {
    for (const request of [
      on('sagemaker:DeleteTags', arn('endpoint', 'new-ep'), { 'aws:TagKeys': [PREVENTION_TAG.autoDeleteAfter] }),
      on('sagemaker:DeleteEndpoint', arn('endpoint', 'new-ep')),
      on('sagemaker:UpdateEndpoint', arn('endpoint', 'new-ep')),
      addTags([PREVENTION_TAG.createdBy], arn('endpoint-config', 'cfg')),
      addTags([PREVENTION_TAG.createdBy], arn('model', 'm')),
      addTags([PREVENTION_TAG.createdBy], arn('endpoint', 'new-ep', 'eu-west-1')),
      { ...addTags([PREVENTION_TAG.createdBy], arn('endpoint', 'new-ep', REGION, '999999999999')), resourceAccount: '999999999999' },
    ]) {
      expect(await decide(tagger, request), `${request.action} ${request.resource}`).not.toBe('Allowed');
    }
  });

  it('cannot add tags without naming keys (a request without aws:TagKeys)', async () => {
    expect(await decide(tagger, on('sagemaker:AddTags', arn('endpoint', 'new-ep')))).not.toBe('Allowed');
  });
});

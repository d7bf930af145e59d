import type { z } from 'zod';
import type { Scenario } from './schema.ts';

/**
 * Cross-field rules of the scenario format: references resolve (OUs, accounts, regions, variants),
 * names are unique where AWS requires it, and each endpoint kind is described the way AWS would
 * build it. Each problem carries the path of the offending field, so errors name it.
 */
export function checkScenario(scenario: Scenario, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const home = scenario.organization.homeRegion;

  const ouIds = new Set<string>([scenario.organization.rootId]);
  scenario.ous.forEach((ou, i) => {
    if (ouIds.has(ou.id)) issue(['ous', i, 'id'], `duplicate OU id ${ou.id}`);
    ouIds.add(ou.id);
  });
  const parentOf = new Map(scenario.ous.map((ou) => [ou.id, ou.parent ?? scenario.organization.rootId]));
  scenario.ous.forEach((ou, i) => {
    if (ou.parent !== undefined && !ouIds.has(ou.parent)) issue(['ous', i, 'parent'], `unknown parent ${ou.parent} (must be the root or another OU)`);
    const seen = new Set<string>();
    for (let at: string | undefined = ou.id; at !== undefined && at !== scenario.organization.rootId; at = parentOf.get(at)) {
      if (seen.has(at)) {
        issue(['ous', i, 'parent'], `OU ${ou.id} is its own ancestor`);
        break;
      }
      seen.add(at);
    }
  });

  const regionsOf = new Map<string, string[]>([[scenario.organization.managementAccountId, [home]]]);
  scenario.accounts.forEach((account, i) => {
    if (scenario.accounts.findIndex((a) => a.id === account.id) !== i) issue(['accounts', i, 'id'], `duplicate account id ${account.id}`);
    if (account.ou !== undefined && !ouIds.has(account.ou)) issue(['accounts', i, 'ou'], `unknown OU ${account.ou}`);
    regionsOf.set(account.id, account.regions ?? [home]);
  });

  const bucketNames = new Set<string>();
  scenario.buckets.forEach((bucket, i) => {
    if (bucketNames.has(bucket.name)) issue(['buckets', i, 'name'], `duplicate bucket ${bucket.name}`);
    bucketNames.add(bucket.name);
    if (!regionsOf.has(bucket.account)) issue(['buckets', i, 'account'], `unknown account ${bucket.account}`);
  });

  const endpointNames = new Set<string>();
  const componentNames = new Set<string>();
  scenario.endpoints.forEach((endpoint, e) => {
    const at = (...rest: (string | number)[]) => ['endpoints', e, ...rest];
    const regions = regionsOf.get(endpoint.account);
    if (!regions) issue(at('account'), `unknown account ${endpoint.account}`);
    else if (!regions.includes(endpoint.region)) issue(at('region'), `region ${endpoint.region} is not enabled for account ${endpoint.account}`);
    const key = `${endpoint.account}|${endpoint.region}|${endpoint.name.toLowerCase()}`;
    if (endpointNames.has(key)) issue(at('name'), `duplicate endpoint ${endpoint.name} in ${endpoint.account}/${endpoint.region}`);
    endpointNames.add(key);
    if (endpoint.updatedDaysAgo !== undefined && endpoint.updatedDaysAgo > endpoint.createdDaysAgo)
      issue(at('updatedDaysAgo'), 'cannot be updated before it was created');

    const variantNames = new Set<string>();
    endpoint.variants.forEach((variant, v) => {
      if (variantNames.has(variant.name)) issue(at('variants', v, 'name'), `duplicate variant ${variant.name}`);
      variantNames.add(variant.name);
      if (endpoint.type === 'serverless') {
        if (!variant.serverless) issue(at('variants', v, 'serverless'), 'a serverless endpoint needs serverless settings on every variant');
        if (variant.instanceType) issue(at('variants', v, 'instanceType'), 'serverless variants have no instance type');
      } else {
        if (variant.serverless) issue(at('variants', v, 'serverless'), `only type serverless takes serverless settings (type is ${endpoint.type})`);
        if (!variant.instanceType) issue(at('variants', v, 'instanceType'), `required for ${endpoint.type} endpoints`);
      }
      if (endpoint.type === 'inference-components') {
        if (variant.model) issue(at('variants', v, 'model'), 'inference-component endpoints host models in their components, not their variants');
        if (variant.invocations)
          issue(at('variants', v, 'invocations'), 'traffic to inference components is published per component: put it under inferenceComponents[].invocations');
      } else if (!variant.model) {
        issue(at('variants', v, 'model'), `required for ${endpoint.type} endpoints`);
      }
      if (endpoint.type === 'async' && variant.invocations)
        issue(at('variants', v, 'invocations'), 'async endpoints publish InvocationsProcessed, not Invocations: use async.invocationsProcessed');
      if (variant.autoscaling && variant.autoscaling.min > variant.autoscaling.max) issue(at('variants', v, 'autoscaling'), 'min must not exceed max');
      if (variant.autoscaling && endpoint.type === 'serverless')
        issue(at('variants', v, 'autoscaling'), 'instance auto scaling does not apply to serverless variants');
      for (const artifact of variant.model ? [variant.model.artifact, ...(variant.model.containers ?? []).map((c) => c.artifact)] : []) {
        if (artifact?.as === 'S3Prefix' && !artifact.uri.endsWith('/'))
          issue(at('variants', v, 'model', 'artifact', 'uri'), 'an S3Prefix artifact URI must end with "/"');
        if (artifact?.files !== undefined && !artifact.uri.endsWith('/'))
          issue(at('variants', v, 'model', 'artifact', 'files'), 'files only apply to a prefix URI ending with "/"');
      }
    });
    if (endpoint.async && endpoint.type !== 'async') issue(at('async'), `only type async takes async settings (type is ${endpoint.type})`);

    if (endpoint.type !== 'inference-components' && endpoint.inferenceComponents.length > 0)
      issue(at('inferenceComponents'), 'only type inference-components hosts inference components');
    endpoint.inferenceComponents.forEach((component, c) => {
      const componentKey = `${endpoint.account}|${endpoint.region}|${component.name.toLowerCase()}`;
      if (componentNames.has(componentKey)) issue(at('inferenceComponents', c, 'name'), `duplicate inference component ${component.name}`);
      componentNames.add(componentKey);
      if ((component.model === undefined) === (component.container === undefined))
        issue(at('inferenceComponents', c), 'give exactly one of model or container');
      if (component.variant !== undefined && !variantNames.has(component.variant))
        issue(at('inferenceComponents', c, 'variant'), `unknown variant ${component.variant}`);
    });
  });
}

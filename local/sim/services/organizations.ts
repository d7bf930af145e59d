import { SimError, decodeToken, encodeToken, jsonService, type CallContext, type SimService } from '../protocol.ts';
import type { SimAccount, SimOu, World } from '../world.ts';

/**
 * AWS Organizations (JSON 1.1, X-Amz-Target `AWSOrganizationsV20161128.*`), read side only: what a
 * sweep needs to enumerate the organization. Shapes and errors follow the API reference
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/); every List* operation "can be called
 * only from the organization's management account or by a member account that is a delegated
 * administrator" (action-reference.html), which is what `requireManagement` enforces.
 */

/** AWS caps MaxResults at 20 for these operations; a small default makes paginators do real work. */
const MAX_RESULTS = 20;
const DEFAULT_PAGE_SIZE = 10;

const ROOT_ID = /^r-[0-9a-z]{4,32}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ACCOUNT_ID = /^\d{12}$/;

type Input = Record<string, unknown>;

export function organizationsService(): SimService {
  return jsonService({
    signingName: 'organizations',
    targetPrefix: 'AWSOrganizationsV20161128',
    version: '1.1',
    // AWS answers Organizations throttling with TooManyRequestsException (HTTP 400), which the SDK retries.
    throttlingCode: 'TooManyRequestsException',
    throttlingMessage: "AWS Organizations can't complete your request because another request is already in progress. Try again later.",
    operations: {
      DescribeOrganization: (_input, ctx) => ({ Organization: describeOrganization(orgMember(ctx).world) }),
      // Trusted access and delegated administrators: read side only, set up by tests through organizationsAdminStore.
      ListAWSServiceAccessForOrganization: (input, ctx) => {
        const world = managementOrDelegatedAdmin(ctx);
        const services = [...adminState(world).trustedServices.entries()].map(([ServicePrincipal, DateEnabled]) => ({ ServicePrincipal, DateEnabled }));
        const page = paginate(input, ctx.operation, '', services);
        return { EnabledServicePrincipals: page.items, NextToken: page.nextToken };
      },
      ListDelegatedAdministrators: (input, ctx) => {
        const world = managementOrDelegatedAdmin(ctx);
        const principal = typeof input.ServicePrincipal === 'string' ? input.ServicePrincipal : undefined;
        const ids = new Set<string>();
        for (const [service, accounts] of adminState(world).delegatedAdmins) if (!principal || service === principal) for (const id of accounts) ids.add(id);
        const admins = [...ids].sort().flatMap((id) => {
          const a = world.accounts.get(id);
          return a ? [{ ...account(world, a), DelegationEnabledDate: a.joinedAt }] : [];
        });
        const page = paginate(input, ctx.operation, principal ?? '', admins);
        return { DelegatedAdministrators: page.items, NextToken: page.nextToken };
      },
      ListAccounts: (input, ctx) => {
        const world = management(ctx);
        const page = paginate(input, ctx.operation, '', [...world.accounts.values()]);
        return { Accounts: page.items.map((a) => account(world, a)), NextToken: page.nextToken };
      },
      ListAccountsForParent: (input, ctx) => {
        const world = management(ctx);
        const parentId = existingParent(world, requiredString(input, 'ParentId'));
        const page = paginate(
          input,
          ctx.operation,
          parentId,
          [...world.accounts.values()].filter((a) => a.parentId === parentId),
        );
        return { Accounts: page.items.map((a) => account(world, a)), NextToken: page.nextToken };
      },
      ListOrganizationalUnitsForParent: (input, ctx) => {
        const world = management(ctx);
        const parentId = existingParent(world, requiredString(input, 'ParentId'));
        const page = paginate(
          input,
          ctx.operation,
          parentId,
          [...world.ous.values()].filter((ou) => ou.parentId === parentId),
        );
        return { OrganizationalUnits: page.items.map((ou) => organizationalUnit(world, ou)), NextToken: page.nextToken };
      },
      ListParents: (input, ctx) => {
        const world = management(ctx);
        const childId = requiredString(input, 'ChildId');
        if (!ACCOUNT_ID.test(childId) && !OU_ID.test(childId))
          throw invalidInput('INVALID_PATTERN', `You specified a value for ChildId that does not match the required pattern: ${childId}`);
        const parentId = world.accounts.get(childId)?.parentId ?? world.ous.get(childId)?.parentId;
        if (parentId === undefined)
          throw new SimError('ChildNotFoundException', `We can't find an organizational unit (OU) or AWS account with the ChildId ${childId}.`);
        const page = paginate(input, ctx.operation, childId, [parentId]);
        return { Parents: page.items.map((id) => ({ Id: id, Type: id.startsWith('r-') ? 'ROOT' : 'ORGANIZATIONAL_UNIT' })), NextToken: page.nextToken };
      },
      ListTagsForResource: (input, ctx) => {
        const world = managementOrDelegatedAdmin(ctx);
        const resourceId = requiredString(input, 'ResourceId');
        if (!ACCOUNT_ID.test(resourceId) && !OU_ID.test(resourceId) && !ROOT_ID.test(resourceId)) {
          throw invalidInput('INVALID_PATTERN', `You specified a value for ResourceId that does not match the required pattern: ${resourceId}`);
        }
        if (ACCOUNT_ID.test(resourceId) && !world.accounts.get(resourceId))
          throw new SimError('TargetNotFoundException', `We can't find a resource with the ResourceId ${resourceId}.`);
        const tags = Object.entries(adminState(world).tags.get(resourceId) ?? {}).map(([Key, Value]) => ({ Key, Value }));
        const page = paginate(input, ctx.operation, resourceId, tags);
        return { Tags: page.items, NextToken: page.nextToken };
      },
    },
  });
}

/** Any account of the organization may describe it; a caller outside it gets AWSOrganizationsNotInUseException. */
function orgMember(ctx: CallContext): { world: World; account: SimAccount } {
  const account = ctx.world.accounts.get(ctx.caller.accountId);
  if (!account) throw new SimError('AWSOrganizationsNotInUseException', 'Your account is not a member of an organization.');
  return { world: ctx.world, account };
}

function management(ctx: CallContext): World {
  const { world } = orgMember(ctx);
  if (ctx.caller.accountId !== world.managementAccountId) {
    throw new SimError('AccessDeniedException', "You don't have permissions to access this resource.");
  }
  return world;
}

interface AdminState {
  /** Service principal → date trusted access was enabled. */
  trustedServices: Map<string, Date>;
  /** Service principal → accounts registered as its delegated administrator. */
  delegatedAdmins: Map<string, Set<string>>;
  /** Account, OU or root id → its tags (TagResource's result; read with ListTagsForResource). */
  tags: Map<string, Record<string, string>>;
}

function adminState(world: World): AdminState {
  return world.global<AdminState>('organizations-admin', () => ({ trustedServices: new Map(), delegatedAdmins: new Map(), tags: new Map() }));
}

/**
 * What `aws organizations enable-aws-service-access` and `register-delegated-administrator` would have
 * set (and `aws organizations tag-resource`), for tests and scenarios (the simulator serves only the List side).
 */
export function organizationsAdminStore(world: World) {
  const state = adminState(world);
  return {
    tagResource: (resourceId: string, tags: Record<string, string>) => void state.tags.set(resourceId, { ...state.tags.get(resourceId), ...tags }),
    enableServiceAccess: (servicePrincipal: string) => void state.trustedServices.set(servicePrincipal, world.now()),
    registerDelegatedAdministrator: (accountId: string, servicePrincipal: string) => {
      const accounts = state.delegatedAdmins.get(servicePrincipal) ?? new Set<string>();
      accounts.add(accountId);
      state.delegatedAdmins.set(servicePrincipal, accounts);
    },
  };
}

/** "Can be called only from the management account or by a member account that is a delegated administrator." */
function managementOrDelegatedAdmin(ctx: CallContext): World {
  const { world } = orgMember(ctx);
  if (ctx.caller.accountId === world.managementAccountId) return world;
  for (const accounts of adminState(world).delegatedAdmins.values()) if (accounts.has(ctx.caller.accountId)) return world;
  throw new SimError('AccessDeniedException', "You don't have permissions to access this resource.");
}

const orgArn = (world: World, resource: string) => `arn:aws:organizations::${world.managementAccountId}:${resource}`;

function describeOrganization(world: World) {
  const management = world.accounts.get(world.managementAccountId);
  return {
    Id: world.organizationId,
    Arn: orgArn(world, `organization/${world.organizationId}`),
    FeatureSet: 'ALL',
    MasterAccountArn: orgArn(world, `account/${world.organizationId}/${world.managementAccountId}`),
    MasterAccountId: world.managementAccountId,
    MasterAccountEmail: management?.email,
    AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
  };
}

function account(world: World, a: SimAccount) {
  return {
    Id: a.id,
    Arn: orgArn(world, `account/${world.organizationId}/${a.id}`),
    Email: a.email,
    Name: a.name,
    // `Status` is being retired in favour of `State` (Account shape in the API reference); AWS sends both today.
    Status: a.status,
    State: a.status,
    JoinedMethod: 'CREATED',
    JoinedTimestamp: a.joinedAt,
  };
}

function organizationalUnit(world: World, ou: SimOu) {
  return { Id: ou.id, Arn: orgArn(world, `ou/${world.organizationId}/${ou.id}`), Name: ou.name };
}

function existingParent(world: World, parentId: string): string {
  if (!ROOT_ID.test(parentId) && !OU_ID.test(parentId))
    throw invalidInput('INVALID_PATTERN', `You specified a value for ParentId that does not match the required pattern: ${parentId}`);
  if (parentId !== world.rootId && !world.ous.has(parentId))
    throw new SimError('ParentNotFoundException', `We can't find a root or OU with the ParentId ${parentId}.`);
  return parentId;
}

function invalidInput(reason: string, message: string): SimError {
  return new SimError('InvalidInputException', message, 400, 'Sender', { Reason: reason });
}

function requiredString(input: Input, field: string): string {
  const value = input[field];
  if (value === undefined || value === null || value === '') throw invalidInput('INPUT_REQUIRED', `You must specify a value for ${field}.`);
  if (typeof value !== 'string') throw new SimError('SerializationException', `Expected a string for ${field}`);
  return value;
}

interface PageToken {
  op: string;
  scope: string;
  offset: number;
  /** Set once the deliberately empty first page has been served. */
  warm?: true;
}

/**
 * AWS documents that List* operations "can occasionally return an empty set of results even when more
 * results are available" (ListParents reference, note). The simulator does that deterministically: a
 * listing longer than one page starts with an empty page and a NextToken, so callers that stop on an
 * empty page instead of a missing NextToken are caught in tests.
 */
function paginate<T>(input: Input, op: string, scope: string, items: T[]): { items: T[]; nextToken?: string } {
  const max = input.MaxResults;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max)) throw new SimError('SerializationException', 'Expected an integer for MaxResults');
    if (max < 1) throw invalidInput('MIN_VALUE_EXCEEDED', 'You provided a value for MaxResults that is below the minimum allowed value of 1.');
    if (max > MAX_RESULTS)
      throw invalidInput('MAX_VALUE_EXCEEDED', `You provided a value for MaxResults that exceeds the maximum allowed value of ${MAX_RESULTS}.`);
  }
  const pageSize = typeof max === 'number' ? max : DEFAULT_PAGE_SIZE;
  const token = decodeToken<PageToken>(input.NextToken, 'InvalidInputException');
  if (token && (token.op !== op || token.scope !== scope || typeof token.offset !== 'number' || token.offset < 0)) {
    throw invalidInput(
      'INVALID_NEXT_TOKEN',
      'The NextToken value is not valid for this request. Get it from the response to a previous call of the same operation.',
    );
  }
  if (!token && items.length > pageSize) return { items: [], nextToken: encodeToken({ op, scope, offset: 0, warm: true } satisfies PageToken) };
  const offset = token?.offset ?? 0;
  const end = offset + pageSize;
  return {
    items: items.slice(offset, end),
    nextToken: end < items.length ? encodeToken({ op, scope, offset: end, warm: true } satisfies PageToken) : undefined,
  };
}

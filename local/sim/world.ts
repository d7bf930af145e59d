/**
 * The simulated organization's state. Services keep their own per-account-region state in the
 * `regional`/`global` bags, so each service module owns its data model and the core stays small.
 */
export type AccountStatus = 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';

export interface SimRole {
  name: string;
  /** When set, AssumeRole must present this ExternalId. */
  externalId?: string;
  /** IAM MaxSessionDuration in seconds (3600..43200); AWS defaults it to 3600. */
  maxSessionDuration?: number;
}

export interface SimAccount {
  id: string;
  name: string;
  email: string;
  status: AccountStatus;
  /** OU id or root id. */
  parentId: string;
  joinedAt: Date;
  /** Regions enabled for the account (EC2 DescribeRegions answers these). */
  enabledRegions: string[];
  /** Roles that STS AssumeRole can enter, by name. */
  roles: Map<string, SimRole>;
}

export interface SimOu {
  id: string;
  name: string;
  parentId: string;
}

export interface IssuedCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  accountId: string;
  roleName: string;
  sessionName: string;
  expiresAt: Date;
  /** STS session tags given at AssumeRole. */
  sessionTags?: Record<string, string>;
}

export interface Caller {
  accessKeyId: string;
  accountId: string;
  /** arn:aws:sts::<acct>:assumed-role/<role>/<session>, or the management account's admin user. */
  principalArn: string;
  region: string;
  /** SigV4 signing name, e.g. sagemaker, monitoring, s3. */
  service: string;
  /** Set when the credentials were issued by this simulator's AssumeRole. */
  assumedRole?: { roleName: string; sessionName: string };
}

export class World {
  readonly accounts = new Map<string, SimAccount>();
  readonly ous = new Map<string, SimOu>();
  readonly credentials = new Map<string, IssuedCredential>();
  private readonly regionalState = new Map<string, unknown>();
  private readonly globalState = new Map<string, unknown>();

  constructor(
    readonly organizationId: string,
    readonly managementAccountId: string,
    readonly rootId: string,
    /** Region the printed environment and default clients use. */
    readonly homeRegion: string = 'us-east-1',
    readonly now: () => Date = () => new Date(),
  ) {}

  /** Per-(service, account, region) state, created on first use. */
  regional<T>(service: string, accountId: string, region: string, init: () => T): T {
    const key = `${service}|${accountId}|${region}`;
    let state = this.regionalState.get(key) as T | undefined;
    if (state === undefined) {
      state = init();
      this.regionalState.set(key, state);
    }
    return state;
  }

  /** Per-service global state (S3 buckets are a global namespace). */
  global<T>(service: string, init: () => T): T {
    let state = this.globalState.get(service) as T | undefined;
    if (state === undefined) {
      state = init();
      this.globalState.set(service, state);
    }
    return state;
  }

  /** All regional states of a service (for the ledger page and debugging). */
  regionalEntries<T>(service: string): { accountId: string; region: string; state: T }[] {
    const out: { accountId: string; region: string; state: T }[] = [];
    for (const [key, state] of this.regionalState) {
      const [svc, accountId, region] = key.split('|') as [string, string, string];
      if (svc === service) out.push({ accountId, region, state: state as T });
    }
    return out;
  }

  managementAccount(): SimAccount {
    const account = this.accounts.get(this.managementAccountId);
    if (!account) throw new Error('scenario has no management account');
    return account;
  }
}

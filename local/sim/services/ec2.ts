import { SimError, escapeXml, queryParams, type CallContext, type SimService } from '../protocol.ts';

/**
 * Amazon EC2, only DescribeRegions: how `--regions all` learns the regions enabled for an account.
 * EC2 speaks its own query dialect (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html):
 * lists are `Name.N` without `.member`, responses carry a lower-camel `requestId` and `item` lists, and
 * errors are `<Response><Errors><Error><Code>` with a `RequestID` (errors-overview.html).
 */

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/**
 * Commercial regions and whether an account must opt in to them ("Specify which AWS Regions your account
 * can use", AWS Account Management guide). Scenario regions not listed here are treated as default regions.
 */
const KNOWN_REGIONS: ReadonlyArray<{ name: string; optIn: boolean }> = [
  ...['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'sa-east-1'].map((name) => ({ name, optIn: false })),
  ...['eu-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-north-1'].map((name) => ({ name, optIn: false })),
  ...['ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2'].map((name) => ({ name, optIn: false })),
  ...['af-south-1', 'ap-east-1', 'ap-east-2', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7'].map(
    (name) => ({ name, optIn: true }),
  ),
  ...['ca-west-1', 'eu-central-2', 'eu-south-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'me-south-1', 'mx-central-1'].map((name) => ({
    name,
    optIn: true,
  })),
];

type OptInStatus = 'opt-in-not-required' | 'opted-in' | 'not-opted-in';
interface RegionInfo {
  regionName: string;
  regionEndpoint: string;
  optInStatus: OptInStatus;
}

export function ec2Service(): SimService {
  return {
    signingName: 'ec2',
    async operationOf(req) {
      const action = (await queryParams(req)).get('Action');
      if (!action) throw new SimError('MissingAction', 'The request must contain the parameter Action');
      if (action !== 'DescribeRegions') throw new SimError('InvalidAction', `The action ${action} is not valid for this web service.`);
      return action;
    },
    async handle(req, ctx) {
      const params = (await queryParams(req)).raw;
      const regions = describeRegions(params, ctx);
      const items = regions
        .map(
          (r) =>
            `<item><regionName>${escapeXml(r.regionName)}</regionName><regionEndpoint>${escapeXml(r.regionEndpoint)}</regionEndpoint><optInStatus>${r.optInStatus}</optInStatus></item>`,
        )
        .join('');
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse xmlns="${XMLNS}"><requestId>${ctx.requestId}</requestId><regionInfo>${items}</regionInfo></DescribeRegionsResponse>`;
      return { status: 200, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': ctx.requestId }, body };
    },
    renderError(error, ctx) {
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error></Errors><RequestID>${ctx.requestId}</RequestID></Response>`;
      return { status: error.status, headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': ctx.requestId }, body };
    },
    throttlingError() {
      // EC2 throttles with RequestLimitExceeded, HTTP 503 (API reference, "Request throttling").
      return new SimError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    },
  };
}

function describeRegions(params: URLSearchParams, ctx: CallContext): RegionInfo[] {
  const enabled = new Set(ctx.world.accounts.get(ctx.caller.accountId)?.enabledRegions ?? []);
  const all = [...KNOWN_REGIONS];
  for (const name of enabled) if (!all.some((r) => r.name === name)) all.push({ name, optIn: false });
  const info = all.map(({ name, optIn }) => ({
    regionName: name,
    regionEndpoint: `ec2.${name}.amazonaws.com`,
    // A scenario may leave a default region disabled (AWS cannot); it then reads as not opted in.
    optInStatus: (enabled.has(name) ? (optIn ? 'opted-in' : 'opt-in-not-required') : 'not-opted-in') as OptInStatus,
  }));

  const allRegions = booleanParam(params, 'AllRegions');
  const names = indexed(params, 'RegionName');
  for (const name of names) {
    if (!info.some((r) => r.regionName === name)) throw new SimError('InvalidParameterValue', `Invalid region: ${name}`);
  }
  // "RegionName.N: You can specify any Regions, whether they are enabled and disabled for your account."
  let selected = names.length > 0 ? info.filter((r) => names.includes(r.regionName)) : allRegions ? info : info.filter((r) => r.optInStatus !== 'not-opted-in');
  for (const filter of filters(params)) {
    const field = ({ endpoint: 'regionEndpoint', 'opt-in-status': 'optInStatus', 'region-name': 'regionName' } as const)[filter.name as 'endpoint'];
    if (!field) throw new SimError('InvalidParameterValue', `The filter '${filter.name}' is invalid`);
    selected = selected.filter((r) => filter.values.some((pattern) => wildcard(pattern).test(r[field])));
  }
  return selected;
}

function booleanParam(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name);
  if (raw === null) return false;
  if (raw !== 'true' && raw !== 'false') throw new SimError('InvalidParameterValue', `Value (${raw}) for parameter ${name} is invalid. Expected a boolean.`);
  return raw === 'true';
}

/** `Name.1`, `Name.2`, ... (EC2 lists have no `.member`). */
function indexed(params: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; params.has(`${name}.${i}`); i++) out.push(params.get(`${name}.${i}`)!);
  return out;
}

function filters(params: URLSearchParams): Array<{ name: string; values: string[] }> {
  const out: Array<{ name: string; values: string[] }> = [];
  for (let i = 1; params.has(`Filter.${i}.Name`); i++) out.push({ name: params.get(`Filter.${i}.Name`)!, values: indexed(params, `Filter.${i}.Value`) });
  return out;
}

/** EC2 filter values accept `*` and `?` wildcards. */
function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/**
 * Region names per AWS partition, as the AWS SDK for JavaScript v3 (3.981) knows them
 * (@aws-sdk/core util-endpoints partitions data; the same list `aws account list-regions` answers).
 * A region name that merely looks right (`us-esat-1`) is a typo, not a region with no endpoints:
 * checking the list is what tells the two apart. A region AWS launches later is refused until this
 * list learns it; that is the price of catching typos before a scan reports them as clean.
 */
export const PARTITION_REGIONS: Readonly<Record<string, readonly string[]>> = {
  aws: [
    'af-south-1',
    'ap-east-1',
    'ap-east-2',
    'ap-northeast-1',
    'ap-northeast-2',
    'ap-northeast-3',
    'ap-south-1',
    'ap-south-2',
    'ap-southeast-1',
    'ap-southeast-2',
    'ap-southeast-3',
    'ap-southeast-4',
    'ap-southeast-5',
    'ap-southeast-6',
    'ap-southeast-7',
    'ca-central-1',
    'ca-west-1',
    'eu-central-1',
    'eu-central-2',
    'eu-north-1',
    'eu-south-1',
    'eu-south-2',
    'eu-west-1',
    'eu-west-2',
    'eu-west-3',
    'il-central-1',
    'me-central-1',
    'me-south-1',
    'me-west-1',
    'mx-central-1',
    'sa-east-1',
    'sa-west-1',
    'us-east-1',
    'us-east-2',
    'us-west-1',
    'us-west-2',
  ],
  'aws-cn': ['cn-north-1', 'cn-northwest-1'],
  'aws-eusc': ['eusc-de-east-1'],
  'aws-iso': ['us-iso-east-1', 'us-iso-west-1'],
  'aws-iso-b': ['us-isob-east-1', 'us-isob-west-1'],
  'aws-iso-e': ['eu-isoe-west-1'],
  'aws-iso-f': ['us-isof-east-1', 'us-isof-south-1'],
  'aws-us-gov': ['us-gov-east-1', 'us-gov-west-1'],
};

export function partitionOfRegion(region: string): string | undefined {
  return Object.entries(PARTITION_REGIONS).find(([, regions]) => regions.includes(region))?.[0];
}

/** `arn:aws-cn:sts::...` → `aws-cn`. */
export function partitionOfArn(arn: string): string | undefined {
  return /^arn:([a-z-]+):/.exec(arn)?.[1];
}

/** The closest known region by edit distance, for "did you mean" hints on typos. */
export function closestRegion(name: string): string | undefined {
  let best: { region: string; distance: number } | undefined;
  for (const region of Object.values(PARTITION_REGIONS).flat()) {
    const distance = editDistance(name, region);
    if (!best || distance < best.distance) best = { region, distance };
  }
  return best && best.distance <= 3 ? best.region : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

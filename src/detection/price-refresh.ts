import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { PRICE_TABLE, PriceTableSchema, type PriceTable } from './pricing.ts';

/**
 * Builds the price table from the AWS Price List Query API (pricing:GetProducts, service code
 * AmazonSageMaker): on-demand hosting rates for every instance type in every region, and the
 * serverless provisioned-concurrency rate per region where the catalogue has one.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html
 * Hosting products are productFamily `ML Instance` with `component: Hosting`, `regionCode` and
 * `instanceName`; their OnDemand price dimension is USD per `Hrs`.
 *
 * Every region's prices are read, not derived (regionFactorFromUsEast1 is 1). The table says where
 * the figures came from; it is `verified` only when they came from AWS itself (not an endpoint
 * override such as the simulator) and nothing was carried over from the bundled table.
 */
export interface RefreshOptions {
  pricing: PricingClient;
  clock: Clock;
  /** Where the API was reached: undefined for AWS itself, else the overriding endpoint URL. */
  endpointOverride?: string;
  /** Only these regions (default: every region the catalogue prices). */
  regions?: readonly string[];
  onPage?: (products: number) => void;
}

export interface RefreshResult {
  table: PriceTable;
  products: number;
  pages: number;
  /** Regions whose serverless rate was not in the catalogue and was carried from the bundled table. */
  serverlessCarried: string[];
}

const ProductSchema = z.object({
  product: z.object({ productFamily: z.string().optional(), attributes: z.record(z.string(), z.string()) }),
  terms: z.object({
    OnDemand: z
      .record(z.string(), z.object({ priceDimensions: z.record(z.string(), z.object({ unit: z.string(), pricePerUnit: z.record(z.string(), z.string()) })) }))
      .optional(),
  }),
});
type Product = z.infer<typeof ProductSchema>;

const INSTANCE = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;
const SERVERLESS_PROVISIONED = /ServerlessInf.*Prov|ProvisionedConcurrency/i;

function onDemandUsd(p: Product, unit: RegExp): number | undefined {
  for (const term of Object.values(p.terms.OnDemand ?? {})) {
    for (const dimension of Object.values(term.priceDimensions)) {
      const usd = Number(dimension.pricePerUnit.USD);
      if (unit.test(dimension.unit) && Number.isFinite(usd) && usd > 0) return usd;
    }
  }
  return undefined;
}

async function* hostingProducts(options: RefreshOptions, counters: { pages: number }): AsyncGenerator<Product> {
  let token: string | undefined;
  do {
    const page = await options.pricing.send(
      new GetProductsCommand({
        ServiceCode: 'AmazonSageMaker',
        FormatVersion: 'aws_v1',
        MaxResults: 100,
        NextToken: token,
        Filters: [{ Type: 'TERM_MATCH', Field: 'component', Value: 'Hosting' }],
      }),
    );
    counters.pages += 1;
    // The SDK types PriceList as `any` (AutomaticJsonStringConversion); each entry is parsed and validated below.
    const list: readonly unknown[] = Array.isArray(page.PriceList) ? page.PriceList : [];
    options.onPage?.(list.length);
    for (const raw of list) {
      // The SDK hands each entry over as a lazily parsed JSON string (a String object, not a primitive).
      const parsed = ProductSchema.safeParse(JSON.parse(String(raw)));
      if (parsed.success) yield parsed.data;
    }
    token = page.NextToken || undefined;
  } while (token);
}

export async function refreshPriceTable(options: RefreshOptions): Promise<RefreshResult> {
  const instances = new Map<string, Record<string, number>>();
  const serverless = new Map<string, number>();
  const counters = { pages: 0 };
  let products = 0;
  const wanted = options.regions ? new Set(options.regions) : undefined;
  for await (const p of hostingProducts(options, counters)) {
    products += 1;
    const a = p.product.attributes;
    const region = a.regionCode;
    if (!region || (wanted && !wanted.has(region))) continue;
    if (a.instanceName && INSTANCE.test(a.instanceName) && /(^|-)Host:ml\./.test(a.usagetype ?? '')) {
      const hourly = onDemandUsd(p, /^Hrs$/i);
      if (hourly !== undefined) instances.set(region, { ...(instances.get(region) ?? {}), [a.instanceName]: hourly });
    } else if (SERVERLESS_PROVISIONED.test(a.usagetype ?? '')) {
      const rate = onDemandUsd(p, /second/i);
      if (rate !== undefined) serverless.set(region, rate);
    }
  }
  return assemble(options, instances, serverless, { products, pages: counters.pages });
}

function assemble(
  options: RefreshOptions,
  instances: Map<string, Record<string, number>>,
  serverless: Map<string, number>,
  counts: { products: number; pages: number },
): RefreshResult {
  const now = options.clock.now().toISOString();
  const serverlessCarried: string[] = [];
  const regions: PriceTable['regions'] = {};
  for (const region of [...instances.keys()].sort()) {
    let rate = serverless.get(region);
    if (rate === undefined) {
      rate =
        PRICE_TABLE.regions[region]?.serverlessProvisionedConcurrencyUsdPerGbSecond ??
        PRICE_TABLE.regions['us-east-1']!.serverlessProvisionedConcurrencyUsdPerGbSecond;
      serverlessCarried.push(region);
    }
    const sorted = Object.fromEntries(Object.entries(instances.get(region)!).sort(([a], [b]) => a.localeCompare(b)));
    regions[region] = { regionFactorFromUsEast1: 1, serverlessProvisionedConcurrencyUsdPerGbSecond: rate, instancesUsdPerHour: sorted };
  }
  const source = options.endpointOverride
    ? `the endpoint ${options.endpointOverride} (not AWS: an endpoint override, such as the simulator, whose prices are its own)`
    : 'AWS (api.pricing.us-east-1.amazonaws.com)';
  const provenance = [
    `Read on ${now} by \`zombie-sweep prices refresh\` from the Price List Query API (GetProducts, ServiceCode AmazonSageMaker, component Hosting) at ${source}: ${counts.products} products in ${counts.pages} pages.`,
    "Instance rates: the OnDemand USD per Hrs of each region's `<prefix>-Host:<instance type>` product, read for every region listed (regionFactorFromUsEast1 is 1: nothing is derived).",
    serverlessCarried.length === 0
      ? "Serverless provisioned concurrency: the OnDemand USD per GB-second of each region's provisioned-concurrency product."
      : `Serverless provisioned concurrency: not in the catalogue for ${serverlessCarried.join(', ')}; carried from the bundled ${PRICE_TABLE.compiledOn} table (unverified).`,
  ];
  const table = PriceTableSchema.parse({
    schemaVersion: 1,
    compiledOn: now.slice(0, 10),
    currency: 'USD',
    hoursPerMonth: PRICE_TABLE.hoursPerMonth,
    verified: options.endpointOverride === undefined && serverlessCarried.length === 0 && Object.keys(regions).length > 0,
    provenance,
    regions,
  });
  return { table, products: counts.products, pages: counts.pages, serverlessCarried };
}

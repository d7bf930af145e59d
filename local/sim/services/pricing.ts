import { PRICE_TABLE } from '../../../src/detection/pricing.ts';
import { SimError, decodeToken, encodeToken, jsonService, type CallContext, type SimService } from '../protocol.ts';
import type { World } from '../world.ts';

/**
 * AWS Price List Query API, GetProducts only (JSON 1.1, X-Amz-Target `AWSPriceListService.GetProducts`,
 * signing name `pricing`), for `zombie-sweep prices refresh`. AWS serves it from us-east-1 (also
 * eu-central-1 and ap-south-1); other regions are refused here as AWS has no endpoint there.
 * https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html
 *
 * The catalogue is AmazonSageMaker hosting products in the shape AWS uses (productFamily
 * `ML Instance`, attributes `component: Hosting`, `regionCode`, `instanceName`, `usagetype
 * <prefix>-Host:<instance>`; OnDemand terms priced in USD per `Hrs`) and one serverless
 * provisioned-concurrency product per region. The figures are the simulator's: they come from the
 * bundled, unverified price table, so a table refreshed from here is no truer than that one.
 */
const PRICING_REGIONS = new Set(['us-east-1', 'eu-central-1', 'ap-south-1']);
const PAGE_MAX = 100;
const PUBLICATION_DATE = `${PRICE_TABLE.compiledOn}T00:00:00Z`;

export interface SimPriceProduct {
  serviceCode: string;
  product: { productFamily: string; sku: string; attributes: Record<string, string> };
  terms: { OnDemand: Record<string, { priceDimensions: Record<string, { unit: string; pricePerUnit: { USD: string }; description: string }> }> };
  publicationDate: string;
}

interface PricingState {
  products: SimPriceProduct[];
}

const stateOf = (world: World) => world.global<PricingState>('pricing', () => ({ products: catalogue() }));

/** Direct access for tests: the products served, replaceable. */
export function pricingStore(world: World) {
  const state = stateOf(world);
  return {
    products: (): SimPriceProduct[] => state.products,
    replace(products: SimPriceProduct[]): void {
      state.products = products;
    },
  };
}

function product(sku: string, family: string, attributes: Record<string, string>, unit: string, usd: number): SimPriceProduct {
  return {
    serviceCode: 'AmazonSageMaker',
    product: { productFamily: family, sku, attributes: { servicecode: 'AmazonSageMaker', ...attributes } },
    terms: {
      OnDemand: {
        [`${sku}.JRTCKXETXF`]: {
          priceDimensions: { [`${sku}.JRTCKXETXF.6YS6EN2CT7`]: { unit, pricePerUnit: { USD: usd.toFixed(10) }, description: `$${usd} per ${unit}` } },
        },
      },
    },
    publicationDate: PUBLICATION_DATE,
  };
}

function catalogue(): SimPriceProduct[] {
  const products: SimPriceProduct[] = [];
  for (const [region, prices] of Object.entries(PRICE_TABLE.regions)) {
    const prefix = region.toUpperCase().replace(/-/g, '');
    for (const [instanceName, hourly] of Object.entries(prices.instancesUsdPerHour)) {
      const sku = `SIM${prefix}${instanceName.replace(/\W/g, '')}`.toUpperCase();
      products.push(
        product(
          sku,
          'ML Instance',
          { regionCode: region, location: region, component: 'Hosting', instanceName, usagetype: `${prefix}-Host:${instanceName}`, operation: 'RunInstance' },
          'Hrs',
          hourly * prices.regionFactorFromUsEast1,
        ),
      );
    }
    const sku = `SIM${prefix}SERVERLESSPC`;
    products.push(
      product(
        sku,
        'ML Serverless Inference',
        { regionCode: region, location: region, component: 'Hosting', usagetype: `${prefix}-ServerlessInf-ProvConcurrency:GB-Secs`, operation: 'RunInstance' },
        'GB-Second',
        prices.serverlessProvisionedConcurrencyUsdPerGbSecond,
      ),
    );
  }
  return products;
}

interface Filter {
  Type?: string;
  Field?: string;
  Value?: string;
}

function matches(p: SimPriceProduct, filter: Filter): boolean {
  const field = String(filter.Field ?? '');
  const actual = field === 'productFamily' ? p.product.productFamily : field.toLowerCase() === 'servicecode' ? p.serviceCode : p.product.attributes[field];
  const wanted = String(filter.Value ?? '');
  if (filter.Type === 'TERM_MATCH') return actual === wanted;
  if (filter.Type === 'CONTAINS') return actual !== undefined && actual.includes(wanted);
  if (filter.Type === 'EQUALS') return actual?.toLowerCase() === wanted.toLowerCase();
  throw new SimError('InvalidParameterException', `Filter type ${String(filter.Type)} is not valid`, 400);
}

function getProducts(input: Record<string, unknown>, ctx: CallContext): unknown {
  if (!PRICING_REGIONS.has(ctx.caller.region))
    throw new SimError('UnrecognizedClientException', `The Price List Query API has no endpoint in ${ctx.caller.region}; use us-east-1`, 400);
  if (input.ServiceCode !== 'AmazonSageMaker') {
    if (typeof input.ServiceCode !== 'string') throw new SimError('InvalidParameterException', 'ServiceCode is required', 400);
    return { FormatVersion: 'aws_v1', PriceList: [] };
  }
  const max = input.MaxResults === undefined ? PAGE_MAX : Number(input.MaxResults);
  if (!Number.isInteger(max) || max < 1 || max > PAGE_MAX) throw new SimError('InvalidParameterException', `MaxResults must be 1-${PAGE_MAX}`, 400);
  const filters = Array.isArray(input.Filters) ? (input.Filters as Filter[]) : [];
  const selected = stateOf(ctx.world).products.filter((p) => filters.every((f) => matches(p, f)));
  const start = decodeToken<{ offset: number }>(input.NextToken, 'InvalidNextTokenException')?.offset ?? 0;
  const page = selected.slice(start, start + max);
  const next = start + max < selected.length ? encodeToken({ offset: start + max }) : undefined;
  return { FormatVersion: 'aws_v1', PriceList: page.map((p) => JSON.stringify(p)), ...(next ? { NextToken: next } : {}) };
}

export function pricingService(): SimService {
  return jsonService({ signingName: 'pricing', targetPrefix: 'AWSPriceListService', version: '1.1', operations: { GetProducts: getProducts } });
}

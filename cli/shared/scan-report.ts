import type { ApiCallStats } from '../../src/core/api-calls.ts';
import type { Finding } from '../../src/core/schemas.ts';
import type { TargetScanResult } from '../../src/detection/scan.ts';
import { NOT_ESTIMATED } from '../../src/detection/findings.ts';
import { LAST_INVOKED_UNKNOWN } from '../../src/detection/history.ts';
import { unverifiedPriceTables } from '../../src/detection/pricing.ts';
import { sortFindings } from '../../src/detection/scan.ts';
import { formatUsd, renderTable, toCsv, truncate, type Column } from './output.ts';

/**
 * The three renderings of a scan. The JSON is a public contract (`scan --output json`):
 * findings carry exactly PUBLIC_FINDING_FIELDS, in that order.
 */
export const PUBLIC_FINDING_FIELDS = [
  'accountId',
  'region',
  'endpointName',
  'endpointArn',
  'verdict',
  'reason',
  'endpointType',
  'instanceType',
  'instanceCount',
  'invocations',
  'lastInvokedAt',
  'monthlyCostUsd',
] as const satisfies readonly (keyof Finding)[];

export type PublicFinding = Pick<Finding, (typeof PUBLIC_FINDING_FIELDS)[number]>;

export interface ScanJson {
  findings: PublicFinding[];
  targets: { accountId: string; region: string; status: TargetScanResult['status']; error?: string }[];
  stats: { endpoints: number; apiCalls: { total: number; byOperation: Record<string, number> } };
}

export function publicFinding(finding: Finding): PublicFinding {
  return Object.fromEntries(PUBLIC_FINDING_FIELDS.map((field) => [field, finding[field]])) as PublicFinding;
}

export function scanJson(results: readonly TargetScanResult[], apiCalls: ApiCallStats): ScanJson {
  const findings = sortFindings(results.flatMap((r) => r.findings));
  return {
    findings: findings.map(publicFinding),
    targets: results.map((r) => ({ accountId: r.accountId, region: r.region, status: r.status, ...(r.error ? { error: r.error } : {}) })),
    stats: { endpoints: findings.length, apiCalls: { total: apiCalls.total, byOperation: apiCalls.byOperation } },
  };
}

export function renderScanCsv(findings: readonly Finding[]): string {
  return toCsv(sortFindings([...findings]).map(publicFinding), PUBLIC_FINDING_FIELDS);
}

/** "never" only where it was checked: not for errors, nor where the history could not be read. */
function lastInvoked(f: Finding): string {
  if (f.lastInvokedAt) return f.lastInvokedAt.slice(0, 10);
  return f.verdict === 'error' || f.verdict === 'active' || f.reason.includes(LAST_INVOKED_UNKNOWN) ? '-' : 'never';
}

/** Footer for costs that rest on an unverified price table (docs/detection.md, "The price table"). */
export function priceTableNotes(findings: readonly Finding[]): string[] {
  return unverifiedPriceTables(findings.map((f) => f.reason)).map(
    (date) => `Costs are estimates from the unverified ${date} price table (src/detection/prices/); refresh it from the AWS Price List API as docs/detection.md explains.`,
  );
}

/** Instance types are only read for zombies (and configs they share): others show their count alone. */
function instances(f: Finding): string {
  if (!f.variants) return '-';
  if (f.endpointType === 'serverless') return 'serverless';
  if (f.instanceCount === 0) return '0';
  if (!f.instanceType) return `${f.instanceCount} instance${f.instanceCount === 1 ? '' : 's'}`;
  return `${f.instanceCount} x ${f.instanceType}`;
}

/** "n/a (active)" where detection did not price the endpoint by design; "unknown" where it tried and could not. */
function monthly(f: Finding): string {
  if (f.monthlyCostUsd !== null) return formatUsd(f.monthlyCostUsd);
  if (f.reason.includes(NOT_ESTIMATED)) return `n/a (${f.verdict})`;
  return f.verdict === 'error' ? '-' : 'unknown';
}

type TotalRow = { kind: 'total'; label: string; zombies: number; cost: number; unknown: number };
type Row = { kind: 'finding'; finding: Finding } | TotalRow;

const COLUMNS: Column<Row>[] = [
  { header: 'ACCOUNT', value: (r) => (r.kind === 'finding' ? r.finding.accountId : r.label) },
  { header: 'REGION', value: (r) => (r.kind === 'finding' ? r.finding.region : '') },
  { header: 'ENDPOINT', value: (r) => (r.kind === 'finding' ? r.finding.endpointName : '') },
  { header: 'VERDICT', value: (r) => (r.kind === 'finding' ? r.finding.verdict : `${r.zombies} zombie${r.zombies === 1 ? '' : 's'}`) },
  { header: 'TYPE', value: (r) => (r.kind === 'finding' ? (r.finding.endpointType ?? '-') : '') },
  { header: 'INSTANCES', value: (r) => (r.kind === 'finding' ? instances(r.finding) : '') },
  { header: 'INVOCATIONS', align: 'right', value: (r) => (r.kind === 'finding' ? (r.finding.invocations === null ? '-' : String(r.finding.invocations)) : '') },
  { header: 'LAST INVOKED', value: (r) => (r.kind === 'finding' ? lastInvoked(r.finding) : '') },
  {
    header: '$/MONTH',
    align: 'right',
    value: (r) => (r.kind === 'finding' ? monthly(r.finding) : `${formatUsd(r.cost)}${r.unknown ? ` +${r.unknown} unknown` : ''}`),
  },
  { header: 'REASON', value: (r) => (r.kind === 'finding' ? truncate(r.finding.reason, 90) : 'zombie $/month') },
];

function total(label: string, findings: readonly Finding[]): TotalRow {
  const zombies = findings.filter((f) => f.verdict === 'zombie');
  return {
    kind: 'total',
    label,
    zombies: zombies.length,
    cost: Math.round(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0) * 100) / 100,
    unknown: zombies.filter((f) => f.monthlyCostUsd === null).length,
  };
}

/** Accounts by zombie cost, each sorted by $/month with a subtotal; then the overall total and failed targets. */
export function renderScanTable(results: readonly TargetScanResult[]): string {
  const byAccount = new Map<string, Finding[]>();
  for (const f of results.flatMap((r) => r.findings)) {
    const list = byAccount.get(f.accountId) ?? [];
    list.push(f);
    byAccount.set(f.accountId, list);
  }
  const accounts = [...byAccount.entries()].map(([account, findings]) => ({ account, findings: sortFindings([...findings]), subtotal: total(`${account} total`, findings) }));
  accounts.sort((a, b) => b.subtotal.cost - a.subtotal.cost || a.account.localeCompare(b.account));
  const rows: (Row | null)[] = [];
  for (const { findings, subtotal } of accounts) rows.push(...findings.map((finding) => ({ kind: 'finding' as const, finding })), subtotal, null);
  rows.push(total('TOTAL', results.flatMap((r) => r.findings)));
  let out = accounts.length > 0 ? renderTable(rows, COLUMNS) : 'No InService SageMaker endpoints found.\n';
  for (const note of priceTableNotes(results.flatMap((r) => r.findings))) out += `\n${note}\n`;
  const failed = results.filter((r) => r.status !== 'ok');
  if (failed.length > 0) {
    out += `\nNot scanned (${failed.length} of ${results.length} account-regions):\n`;
    for (const r of failed) out += `  ${r.accountId} ${r.region} ${r.status}: ${r.error ?? 'unknown error'}\n`;
  }
  return out;
}

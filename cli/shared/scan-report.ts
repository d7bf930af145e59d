import type { ApiCallStats } from '../../src/core/api-calls.ts';
import type { Finding } from '../../src/core/schemas.ts';
import type { TargetScanResult } from '../../src/detection/scan.ts';
import { NOT_ESTIMATED } from '../../src/detection/findings.ts';
import { unverifiedPriceTables } from '../../src/detection/pricing.ts';
import { sortFindings } from '../../src/detection/scan.ts';
import { instancesText, lastInvokedText, lastInvokedValue } from '../../src/sweep/facts.ts';
import { round2 } from '../../src/sweep/summary.ts';
import { formatUsd, renderTable, toCsv, type Column, type TableOptions } from './output.ts';

/**
 * The renderings of a scan. The JSON is a public contract (docs/cli.md, "scan --output json"):
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

export type PublicFinding = Omit<Pick<Finding, (typeof PUBLIC_FINDING_FIELDS)[number]>, 'lastInvokedAt'> & { lastInvokedAt: string | null };

/** A named region that is not enabled in an account: reported, never scanned. */
export interface NotEnabledTarget {
  accountId: string;
  region: string;
}

export interface ScanOutcome {
  results: readonly TargetScanResult[];
  notEnabled: readonly NotEnabledTarget[];
}

export type TargetStatus = TargetScanResult['status'] | 'not-enabled';

export interface ScanSummary {
  /** Account-regions scanned completely, of `targets` (enabled ones); not-enabled ones are counted apart. */
  scanned: number;
  targets: number;
  notEnabled: number;
  endpoints: number;
  zombies: number;
  /** What every priced endpoint costs a month, and the zombies' share of it. */
  monthlyCostUsd: number;
  zombieMonthlyCostUsd: number;
  unpriced: number;
}

export interface ScanJson {
  summary: ScanSummary;
  findings: PublicFinding[];
  targets: { accountId: string; region: string; status: TargetStatus; error?: string }[];
  stats: { endpoints: number; apiCalls: { total: number; byOperation: Record<string, number> } };
}

export function publicFinding(finding: Finding): PublicFinding {
  const picked = Object.fromEntries(PUBLIC_FINDING_FIELDS.map((field) => [field, finding[field]])) as PublicFinding;
  return { ...picked, lastInvokedAt: lastInvokedValue(finding) };
}

export function scanSummary(outcome: ScanOutcome): ScanSummary {
  const findings = outcome.results.flatMap((r) => r.findings);
  const zombies = findings.filter((f) => f.verdict === 'zombie');
  const sum = (list: readonly Finding[]) => round2(list.reduce((total, f) => total + (f.monthlyCostUsd ?? 0), 0));
  return {
    scanned: outcome.results.filter((r) => r.status === 'ok').length,
    targets: outcome.results.length,
    notEnabled: outcome.notEnabled.length,
    endpoints: findings.length,
    zombies: zombies.length,
    monthlyCostUsd: sum(findings),
    zombieMonthlyCostUsd: sum(zombies),
    unpriced: findings.filter((f) => f.monthlyCostUsd === null && f.verdict !== 'not-billable' && f.verdict !== 'error').length,
  };
}

/** The line every scan leads with: how much of the scope was actually scanned, then what it found. */
export function summaryLine(s: ScanSummary): string {
  const notEnabled = s.notEnabled > 0 ? ` (${s.notEnabled} more not enabled in their account)` : '';
  const unpriced = s.unpriced > 0 ? `, ${s.unpriced} endpoint${s.unpriced === 1 ? '' : 's'} not priced` : '';
  return (
    `Scanned ${s.scanned} of ${s.targets} account-region${s.targets === 1 ? '' : 's'}${notEnabled}: ` +
    `${s.endpoints} endpoint${s.endpoints === 1 ? '' : 's'}, ${s.zombies} zombie${s.zombies === 1 ? '' : 's'}; ` +
    `${formatUsd(s.monthlyCostUsd)}/month in all, ${formatUsd(s.zombieMonthlyCostUsd)}/month idle${unpriced}.`
  );
}

export function scanJson(outcome: ScanOutcome, apiCalls: ApiCallStats): ScanJson {
  const findings = sortFindings(outcome.results.flatMap((r) => r.findings));
  return {
    summary: scanSummary(outcome),
    findings: findings.map(publicFinding),
    targets: [
      ...outcome.results.map((r) => ({ accountId: r.accountId, region: r.region, status: r.status, ...(r.error ? { error: r.error } : {}) })),
      ...outcome.notEnabled.map((t) => ({ ...t, status: 'not-enabled' as const })),
    ],
    stats: { endpoints: findings.length, apiCalls: { total: apiCalls.total, byOperation: apiCalls.byOperation } },
  };
}

export function renderScanCsv(findings: readonly Finding[]): string {
  return toCsv(sortFindings([...findings]).map(publicFinding), PUBLIC_FINDING_FIELDS);
}

/** Footer for costs that rest on an unverified price table (docs/detection.md, "The price table"). */
export function priceTableNotes(findings: readonly Finding[], priceFile?: string): string[] {
  const where = priceFile ?? 'src/detection/prices/';
  return unverifiedPriceTables(findings.map((f) => f.reason)).map(
    (date) => `Costs are estimates from the unverified ${date} price table (${where}); refresh it with \`zombie-sweep prices refresh\` (docs/detection.md).`,
  );
}

/** "n/a (active)" where detection did not price the endpoint by design; "unknown" where it tried and could not. */
function monthly(f: Finding): string {
  if (f.monthlyCostUsd !== null) return formatUsd(f.monthlyCostUsd);
  if (f.reason.includes(NOT_ESTIMATED)) return `n/a (${f.verdict})`;
  return f.verdict === 'error' ? '-' : 'unknown';
}

type TotalRow = { kind: 'total'; account: string; label: string; zombies: number; cost: number; unknown: number };
type Row = { kind: 'finding'; finding: Finding } | TotalRow;

const COLUMNS: Column<Row>[] = [
  { header: 'ACCOUNT', value: (r) => (r.kind === 'finding' ? r.finding.accountId : r.account) },
  { header: 'REGION', value: (r) => (r.kind === 'finding' ? r.finding.region : r.label) },
  { header: 'ENDPOINT', flexible: true, value: (r) => (r.kind === 'finding' ? r.finding.endpointName : '') },
  { header: 'VERDICT', value: (r) => (r.kind === 'finding' ? r.finding.verdict : `${r.zombies} zombie${r.zombies === 1 ? '' : 's'}`) },
  { header: 'TYPE', optional: true, value: (r) => (r.kind === 'finding' ? (r.finding.endpointType ?? '-') : '') },
  { header: 'INSTANCES', value: (r) => (r.kind === 'finding' ? instancesText(r.finding) : '') },
  {
    header: 'INVOCATIONS',
    align: 'right',
    optional: true,
    value: (r) => (r.kind === 'finding' ? (r.finding.invocations === null ? '-' : String(r.finding.invocations)) : ''),
  },
  { header: 'LAST INVOKED', value: (r) => (r.kind === 'finding' ? lastInvokedText(r.finding) : '') },
  {
    header: '$/MONTH',
    align: 'right',
    value: (r) => (r.kind === 'finding' ? monthly(r.finding) : `${formatUsd(r.cost)}${r.unknown ? ` +${r.unknown} unknown` : ''}`),
  },
  { header: 'REASON', flexible: true, optional: true, value: (r) => (r.kind === 'finding' ? r.finding.reason : 'zombie $/month') },
];

function total(account: string, label: string, findings: readonly Finding[]): TotalRow {
  const zombies = findings.filter((f) => f.verdict === 'zombie');
  return {
    kind: 'total',
    account,
    label,
    zombies: zombies.length,
    cost: round2(zombies.reduce((sum, f) => sum + (f.monthlyCostUsd ?? 0), 0)),
    unknown: zombies.filter((f) => f.monthlyCostUsd === null).length,
  };
}

function findingsTable(results: readonly TargetScanResult[], options: TableOptions): string {
  const byAccount = new Map<string, Finding[]>();
  for (const f of results.flatMap((r) => r.findings)) byAccount.set(f.accountId, [...(byAccount.get(f.accountId) ?? []), f]);
  const accounts = [...byAccount.entries()].map(([account, findings]) => ({
    findings: sortFindings([...findings]),
    subtotal: total(account, 'total', findings),
  }));
  accounts.sort((a, b) => b.subtotal.cost - a.subtotal.cost || a.subtotal.account.localeCompare(b.subtotal.account));
  if (accounts.length === 0) return 'No InService SageMaker endpoints found in the account-regions scanned.\n';
  const rows: (Row | null)[] = [];
  for (const { findings, subtotal } of accounts) rows.push(...findings.map((finding) => ({ kind: 'finding' as const, finding })), subtotal, null);
  rows.push(
    total(
      'ALL',
      'TOTAL',
      results.flatMap((r) => r.findings),
    ),
  );
  return renderTable(rows, COLUMNS, options);
}

/**
 * The summary line first (so a partial scan says so before anything else), the findings by account
 * with subtotals, then every account-region not scanned and why.
 */
export function renderScanTable(outcome: ScanOutcome, options: TableOptions & { priceFile?: string } = {}): string {
  const { results } = outcome;
  let out = `${summaryLine(scanSummary(outcome))}\n\n${findingsTable(results, options)}`;
  for (const note of priceTableNotes(
    results.flatMap((r) => r.findings),
    options.priceFile,
  ))
    out += `\n${note}\n`;
  const failed = results.filter((r) => r.status !== 'ok');
  if (failed.length > 0) {
    out += `\nNot scanned (${failed.length} of ${results.length} account-regions):\n`;
    for (const r of failed) out += `  ${r.accountId} ${r.region} ${r.status}: ${r.error ?? 'unknown error'}\n`;
  }
  if (outcome.notEnabled.length > 0) {
    out += `\nNot enabled (not scanned; enable the region in the account to scan it):\n`;
    for (const t of outcome.notEnabled) out += `  ${t.accountId} ${t.region} not enabled\n`;
  }
  return out;
}

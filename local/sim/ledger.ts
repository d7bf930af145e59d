/** Every call the simulator answered, for tests and benchmarks to count. */
export interface LedgerEntry {
  service: string;
  operation: string;
  accountId: string;
  region: string;
  status: number;
  errorCode?: string;
  at: number;
}

export type LedgerFilter = Partial<Pick<LedgerEntry, 'service' | 'operation' | 'accountId' | 'region'>> & { errors?: boolean };

export class Ledger {
  readonly entries: LedgerEntry[] = [];

  record(entry: LedgerEntry): void {
    this.entries.push(entry);
  }

  filter(filter: LedgerFilter = {}): LedgerEntry[] {
    return this.entries.filter(
      (e) =>
        (filter.service === undefined || e.service === filter.service) &&
        (filter.operation === undefined || e.operation === filter.operation) &&
        (filter.accountId === undefined || e.accountId === filter.accountId) &&
        (filter.region === undefined || e.region === filter.region) &&
        (filter.errors === undefined || (e.errorCode !== undefined) === filter.errors),
    );
  }

  count(filter: LedgerFilter = {}): number {
    return this.filter(filter).length;
  }

  /** Counts keyed `service:Operation`. */
  byOperation(filter: LedgerFilter = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.filter(filter)) out[`${e.service}:${e.operation}`] = (out[`${e.service}:${e.operation}`] ?? 0) + 1;
    return out;
  }

  reset(): void {
    this.entries.length = 0;
  }
}

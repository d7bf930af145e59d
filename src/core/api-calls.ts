/**
 * Counts AWS API calls made through clients built by the ClientFactory. `calls` counts logical
 * operations (what the code asked for); `attempts` counts HTTP requests (calls plus SDK retries).
 * The scan reports these so API economy is measured, not guessed.
 */
export interface ApiCallStats {
  total: number;
  attempts: number;
  byOperation: Record<string, number>;
}

/** What a call was: its input, and the member account it acted in (absent: the hub, with the base credentials). */
export interface ApiCall {
  input: unknown;
  target?: { accountId: string; region: string; roleName?: string; capability?: string };
}

export class ApiCallCounter {
  private readonly calls = new Map<string, number>();
  private attemptCount = 0;

  /** `call` is for counters that keep more than counts (the permission test records what each function asked). */
  record(service: string, operation: string, _call?: ApiCall): void {
    const key = `${service}:${operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
  }

  recordAttempt(): void {
    this.attemptCount++;
  }

  stats(): ApiCallStats {
    const byOperation: Record<string, number> = {};
    let total = 0;
    for (const [key, count] of [...this.calls.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      byOperation[key] = count;
      total += count;
    }
    return { total, attempts: this.attemptCount, byOperation };
  }

  /** Merges another counter's stats into this one (a scan over many targets). */
  add(stats: ApiCallStats): void {
    for (const [key, count] of Object.entries(stats.byOperation)) this.calls.set(key, (this.calls.get(key) ?? 0) + count);
    this.attemptCount += stats.attempts;
  }
}

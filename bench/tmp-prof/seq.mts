import { Ledger } from '../../local/sim/ledger.ts';
const orig = Ledger.prototype.record;
const seq: string[] = [];
Ledger.prototype.record = function (e) { seq.push(`${e.service}:${e.operation}${e.errorCode ? '!' + e.errorCode : ''}`); return orig.call(this, e); };
const { runScaleSweep } = await import('../sweep-run.ts');
const r = await runScaleSweep({ accounts: 1, regions: ['us-east-1'], endpointsPerRegion: 1, zombieFraction: 1, seed: 11, retryIntervalMs: 5, ...(process.argv[2] ? { transitionDelayMs: Number(process.argv[2]) } : {}) } as never);
console.log(r.status, r.candidates, r.deleted, r.usage.transitions, r.usage.lambdaRequests);
console.log(seq.join('\n'));

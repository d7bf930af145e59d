import { runScaleSweep } from '../sweep-run.ts';
const accounts = Number(process.argv[2] ?? 25);
const epr = Number(process.argv[3] ?? 6);
const t0 = Date.now();
const r = await runScaleSweep({
  accounts, regions: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'], endpointsPerRegion: epr, zombieFraction: 1, seed: 11, transitionDelayMs: process.argv[4] ? Number(process.argv[4]) : undefined,
  settings: { ActionMaxConcurrency: '200', ScanMaxConcurrency: '100' }, retryIntervalMs: 5, progress: (l) => console.log(l),
});
console.log(JSON.stringify({ status: r.status, err: r.error, cause: r.cause?.slice(0, 300), targets: r.targets, cand: r.candidates, del: r.deleted, deleting: r.deleting, skipped: r.skipped.length, s: r.seconds, zl: r.zombiesLeft, od: r.othersDeleted, ep: r.endpoints, phases: r.phases, usage: { ...r.usage, lambdaGbSecondsByFunction: undefined }, calls: r.calls }));
console.log('wall', (Date.now() - t0) / 1000, 'rss', process.memoryUsage().rss / 1e6);

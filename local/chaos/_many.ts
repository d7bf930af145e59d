import { runChaosSweep } from './sweep.ts';
const seed = Number(process.argv[2]); const n = Number(process.argv[3]); const par = Number(process.argv[4] ?? 1);
const t0 = Date.now();
let next = 1;
await Promise.all(Array.from({ length: par }, async () => {
  while (next <= n) {
    const i = next++;
    const o = await runChaosSweep(seed, i);
    console.log(i, o.ms, o.statuses.join(), JSON.stringify(o.faults), o.violations.length ? JSON.stringify(o.violations) : '');
  }
}));
console.log('total', Date.now() - t0, process.cpuUsage().user / 1000);

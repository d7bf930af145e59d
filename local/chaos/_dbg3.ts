import { runChaosSweep } from './sweep.ts';
const t0 = Date.now();
const o = await runChaosSweep(Number(process.argv[2]), Number(process.argv[3]), { inspect: (run: any) => {
  const e = run.sim.ledger.filter({});
  const start = e[0].at;
  let last = start; const gaps: string[] = [];
  for (const x of e) { if (x.at - last > 150) gaps.push(`${x.at - last}ms before ${x.service}:${x.operation} @${x.at - start}`); last = x.at; }
  console.log('calls', e.length, 'span', e[e.length - 1].at - start, gaps.join('\n'));
} } as never);
console.log(o.ms, Date.now() - t0, JSON.stringify(o.faults));

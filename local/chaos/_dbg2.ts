import { runChaosSweep } from './sweep.ts';
import { s3Store } from '../sim/services/s3/store.ts';
const o = await runChaosSweep(Number(process.argv[2]), Number(process.argv[3]), { inspect: (run) => {
  for (const s of run.sweeps) {
    console.log(s.sweepId, s.result?.status, s.result?.error, s.result?.cause?.slice(0, 600));
    const st = s3Store(run.sim.world);
    console.log(st.listKeys('zombie-chaos-archive', 'audit/sweeps/'));
  }
  console.log(run.sim.ledger.filter({ errors: true }).map((e) => `${e.service}:${e.operation}:${e.errorCode}`).join('\n'));
} } as never);
console.log(JSON.stringify(o.violations));

import { runChaosSweep } from './sweep.ts';
process.env.CHAOS_DEBUG = '1';
const o = await runChaosSweep(Number(process.argv[2]), Number(process.argv[3]));
console.log(JSON.stringify(o, null, 1));

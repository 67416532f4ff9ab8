// The load of bench/fanout's latency measure, in a process of its own: the benchmark's process
// also runs the Resend stand-in, which parses a megabyte of JSON per batch, and a response waiting
// behind that would count against the server. Posts `rate` updates a second for `seconds`
// (open loop), round-robin over the incidents, and prints one JSON line: each accepted post's
// start (s from the start) and latency (ms), and the errors.
//
//   tsx bench/fanout/poster.ts <base url> <token> <incident,incident,…> <seconds> <rate> <tag>
import { setTimeout as sleep } from 'node:timers/promises';

const [baseUrl, token, list, secondsArg, rateArg, tag] = process.argv.slice(2);
const incidents = list!.split(',');
const seconds = Number(secondsArg);
const rate = Number(rateArg);
const samples: Array<{ at: number; ms: number }> = [];
let errors = 0;
const started = performance.now();
const one = async (i: number) => {
  await sleep(Math.max(0, started + (i * 1000) / rate - performance.now()));
  const at = performance.now();
  const res = await fetch(`${baseUrl}/v1/incidents/${incidents[i % incidents.length]}/updates`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `Still investigating elevated error rates on the API; next update in 30 minutes. (${tag} #${i})`,
    }),
  });
  await res.arrayBuffer();
  if (res.status === 201) samples.push({ at: (at - started) / 1000, ms: performance.now() - at });
  else errors++;
};
await Promise.all(Array.from({ length: Math.round(seconds * rate) }, (_, i) => one(i)));
process.stdout.write(`${JSON.stringify({ samples, errors })}\n`);

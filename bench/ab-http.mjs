// A/B of two builds of drg serve under the HTTP telemetry load of `npm run bench -- http` (same connections, body
// and WebSocket consumer), in alternating rounds so that the machine's drift weighs on both alike; for each its
// median rate, and its CPU per accepted request (main thread, whole process) read from /proc. For changes whose
// effect is smaller than the drift between runs of the bench.
//
//   node bench/ab-http.mjs CHECKOUT_A[:VAR=value...] CHECKOUT_B[:VAR=value...]   (each checkout built: npm run build)
//
// AB_ROUNDS (default 8) timed rounds of AB_SECONDS (default 2) each, after one untimed round each.
import { resolve } from 'node:path';
import { rateThrough, telemetryTarget } from './data-plane-http.mjs';
import { cpuMs, median, startServe } from './lib.mjs';

const ROUNDS = Number(process.env.AB_ROUNDS ?? 8);
const SECONDS = Number(process.env.AB_SECONDS ?? 2);

/** `checkout[:VAR=value...]` */
function parseSide(spec) {
  const [checkout, ...assignments] = spec.split(':');
  const env = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`${a}: expected VAR=value`);
    env[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return { spec, drg: resolve(checkout, 'bin/drg.cjs'), env };
}

const specs = process.argv.slice(2);
if (specs.length !== 2) {
  console.error('usage: node bench/ab-http.mjs CHECKOUT_A[:VAR=value...] CHECKOUT_B[:VAR=value...]');
  process.exit(2);
}
const sides = [];
try {
  for (const side of specs.map(parseSide)) {
    // In `sides` as soon as it runs, so that it is stopped also when what follows fails.
    const entry = {
      ...side,
      server: await startServe({ drg: side.drg, env: side.env }),
      rates: [],
      mainUs: [],
      allUs: [],
    };
    sides.push(entry);
    entry.target = await telemetryTarget(entry.server);
  }
  for (let round = 0; round <= ROUNDS; round++) {
    for (const side of sides) {
      const { url, authorization, consumer } = side.target;
      const before = cpuMs(side.server.pid);
      const { rate, accepted } = await rateThrough(url, authorization, consumer, SECONDS);
      const after = cpuMs(side.server.pid);
      if (round === 0) continue;
      side.rates.push(rate);
      side.mainUs.push(((after.main - before.main) * 1000) / accepted);
      side.allUs.push(((after.all - before.all) * 1000) / accepted);
    }
  }
  for (const side of sides) {
    console.log(
      `${side.spec}: ${Math.round(median(side.rates))} req/s (rounds ${side.rates.map(Math.round).join(' ')}); ` +
        `CPU per request ${median(side.mainUs).toFixed(1)} µs main thread, ${median(side.allUs).toFixed(1)} µs process`,
    );
  }
  const [a, b] = sides;
  const wins = b.rates.filter((rate, i) => rate > a.rates[i]).length;
  console.log(`B/A: ${(median(b.rates) / median(a.rates)).toFixed(3)}x; B faster in ${wins} of ${ROUNDS} rounds`);
} finally {
  for (const side of sides) {
    side.target?.consumer.socket.terminate();
    await side.server.stop();
  }
}

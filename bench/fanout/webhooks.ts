// The webhook run of the fan-out benchmark (issue 14): 5,000 webhook endpoints on local receivers,
// one public update, every endpoint owed one incident event. The real server runs in its own
// process with 127.0.0.1/32 opened to webhooks; this process runs the receivers (several HTTP
// servers on 127.0.0.1), registers the endpoints over the admin API, posts the update and
// records when each endpoint got its event, checking every signature with Node's crypto.
//
//   npm run bench:fanout:webhooks -- [--endpoints 5000] [--receivers 4] [--concurrency 32]
//
// Prints deliveries per second, the p50/p99 delivery latency (from the update's 201 to the
// receiver having the request), duplicates and missing endpoints.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startServer } from '../support/server.ts';

const { values } = parseArgs({
  options: {
    endpoints: { type: 'string', default: '5000' },
    receivers: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
    'timeout-s': { type: 'string', default: '300' },
    profile: { type: 'string' },
  },
});
const ENDPOINTS = Number(values.endpoints);
const RECEIVERS = Number(values.receivers);
const CONCURRENCY = Number(values.concurrency);
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Receipt {
  at: number;
  eventId: string;
  validSignature: boolean;
}

async function main() {
  const secrets = new Map<string, string>();
  const receipts = new Map<string, Receipt[]>();
  const servers: Server[] = [];
  const bases: string[] = [];
  for (let i = 0; i < RECEIVERS; i++) {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = performance.now();
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const header = String(req.headers['herald-signature'] ?? '');
        const [t, v1] = header.split(',').map((kv) => kv.split('=')[1]);
        const secret = secrets.get(path);
        const valid =
          secret !== undefined &&
          createHmac('sha256', secret).update(`${t}.${body}`).digest('hex') === v1;
        const list = receipts.get(path) ?? [];
        list.push({ at, eventId: String(req.headers['herald-event-id']), validSignature: valid });
        receipts.set(path, list);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    bases.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  const server = await startServer({
    readyTimeoutMs: 180_000,
    // `--profile <dir>`: a V8 CPU profile of the server, written when it stops.
    ...(values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {}),
    env: {
      HERALD_WEBHOOK_ALLOW: '127.0.0.1/32',
      HERALD_WEBHOOK_CONCURRENCY: String(CONCURRENCY),
      HERALD_TICK_MS: '1000',
    },
  });
  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  try {
    const paths = Array.from({ length: ENDPOINTS }, (_, i) => `/endpoint/${i}`);
    const registerStarted = performance.now();
    for (let i = 0; i < ENDPOINTS; i += 50) {
      await Promise.all(
        paths.slice(i, i + 50).map(async (path, j) => {
          const res = await api('POST', '/v1/webhooks', {
            url: `${bases[(i + j) % RECEIVERS]}${path}`,
          });
          if (res.status !== 201)
            throw new Error(`register ${path}: ${res.status} ${await res.text()}`);
          secrets.set(path, ((await res.json()) as { secret: string }).secret);
        }),
      );
    }
    const registerSeconds = (performance.now() - registerStarted) / 1000;

    const res = await api('POST', '/v1/incidents', {
      title: 'Webhook fan-out benchmark',
      severity: 'SEV3',
      message: 'We are investigating elevated error rates on the API.',
      components: [],
    });
    const posted = performance.now();
    if (res.status !== 201) throw new Error(`declare: ${res.status} ${await res.text()}`);
    const deadline = posted + TIMEOUT_MS;
    while (receipts.size < ENDPOINTS && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    // Anything that would arrive twice has time to.
    await new Promise((r) => setTimeout(r, 2000));

    const firsts = paths.map((p) => receipts.get(p)?.[0]).filter((r): r is Receipt => Boolean(r));
    const latencies = firsts.map((r) => r.at - posted);
    const duplicates = [...receipts.values()].reduce((n, list) => n + list.length - 1, 0);
    const missing = ENDPOINTS - firsts.length;
    const badSignatures = [...receipts.values()].flat().filter((r) => !r.validSignature).length;
    const eventIds = new Set(firsts.map((r) => r.eventId));
    const first = Math.min(...firsts.map((r) => r.at));
    const last = Math.max(...firsts.map((r) => r.at));
    const health = (await (await fetch(`${server.baseUrl}/healthz`)).json()) as {
      webhooks?: unknown;
    };

    console.log(
      `webhook fan-out: ${ENDPOINTS} endpoints on ${RECEIVERS} local receivers, concurrency ${CONCURRENCY}`,
    );
    console.log(`  registering endpoints (admin API): ${registerSeconds.toFixed(1)} s`);
    console.log(
      `  delivered:            ${firsts.length} in ${((last - posted) / 1000).toFixed(2)} s after the update`,
    );
    console.log(
      `  deliveries/s:         ${(firsts.length / ((last - posted) / 1000)).toFixed(0)} (from the update), ${(firsts.length / Math.max(0.001, (last - first) / 1000)).toFixed(0)} (first to last delivery)`,
    );
    console.log(
      `  delivery latency:     p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms`,
    );
    console.log(`  duplicates:           ${duplicates}`);
    console.log(`  missing:              ${missing}`);
    console.log(`  bad signatures:       ${badSignatures}`);
    console.log(`  distinct event ids:   ${eventIds.size}`);
    console.log(`  server /healthz:      ${JSON.stringify(health.webhooks)}`);
    if (duplicates > 0 || missing > 0 || badSignatures > 0 || eventIds.size !== 1)
      process.exitCode = 1;
  } finally {
    await server.stop();
    for (const s of servers) s.close();
  }
}

await main();

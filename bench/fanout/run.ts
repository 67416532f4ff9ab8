// The fan-out benchmark of issue 8: 50,000 confirmed subscribers, one public update, the Resend
// stand-in limited to N requests per second. The real server runs in its own process; this process
// runs the stand-in, imports the subscribers over HTTP, posts the update, and at the same time
// posts other updates to measure the API's latency while the fan-out runs, against the same
// measurement with no subscribers, taken side by side in the same run.
//
//   npm run bench:fanout -- [--subscribers 50000] [--rate 5] [--seconds 60] [--post-rate 2]
//
// The updates are posted from a process of their own (`poster.ts`), at a fixed rate (open loop:
// one every 1/post-rate s whatever the responses), so the latency shows how long a request waits
// behind the fan-out's work rather than how many requests a saturated server can turn around.
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import Database from 'libsql';
import { memoryMiB } from '../support/memory.ts';
import { startServer, type RunningServer } from '../support/server.ts';
import { startResendStub, type ResendStub } from '../../test/support/resend-stub.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '50000' },
    rate: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '60' },
    'post-rate': { type: 'string', default: '2' },
    profile: { type: 'string' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const POST_RATE = Number(values['post-rate']);
const LOAD_INCIDENTS = 20;
const SUBJECT = '[Investigating] Fan-out benchmark — Acme Cloud status';

interface Health {
  subscriptions: {
    owed: number;
    expanding: number;
    queue_depth: number;
    deliveries_queued: number;
    sent: number;
  };
}

/** p-th percentile (0..100) of the samples, in ms. */
function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Posts `POST_RATE` updates a second for `SECONDS`, round-robin over the incidents, from a process
 * of its own (`poster.ts`: this one runs the stand-in, whose work would delay the responses).
 */
async function postUpdates(server: RunningServer, incidents: string[], tag: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'poster.ts'),
      server.baseUrl,
      server.adminToken,
      incidents.join(','),
      String(SECONDS),
      String(POST_RATE),
      tag,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the poster exited with ${code}`);
  const { samples, errors } = JSON.parse(out) as {
    samples: Array<{ at: number; ms: number }>;
    errors: number;
  };
  const latencies = samples.map((x) => x.ms);
  return {
    count: latencies.length,
    errors,
    perSecond: latencies.length / SECONDS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    slowest: samples
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 3)
      .map((x) => `${x.ms.toFixed(0)} ms at +${x.at.toFixed(1)} s`)
      .join(', '),
  };
}

/** Bytes the database holds (pages in use), read from the file by a second connection. */
function databaseBytes(dataDir: string): number {
  const db = new Database(join(dataDir, 'herald.db'), { readonly: true });
  try {
    const one = (sql: string) => Number(Object.values(db.prepare(sql).get() as object)[0]);
    return (one('PRAGMA page_count') - one('PRAGMA freelist_count')) * one('PRAGMA page_size');
  } finally {
    db.close();
  }
}

async function health(server: RunningServer): Promise<Health> {
  return (await (await fetch(`${server.baseUrl}/healthz`)).json()) as Health;
}

async function main() {
  const stub: ResendStub = await startResendStub({ ratePerSecond: RATE, recordBodies: false });
  const server = await startServer({
    readyTimeoutMs: 180_000,
    // `--profile <dir>`: a V8 CPU profile of the server, written when it stops.
    ...(values.profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] } : {}),
    env: {
      ...stub.env,
      HERALD_EMAIL_RATE_PER_SECOND: String(RATE),
      SITE_URL: 'https://status.acme.example',
    },
  });
  try {
    // Incidents the latency load posts to. Their first emails (to nobody yet) go now; their later
    // updates are coalesced for five minutes, so they add owed rows but no second fan-out.
    const incidents: string[] = [];
    for (let i = 0; i < LOAD_INCIDENTS; i++) {
      const created = await server.request<{ id: string }>(
        'POST',
        '/v1/incidents',
        {
          title: `Load incident ${i}`,
          severity: 'SEV3',
          message: 'We are investigating.',
          components: [{ id: 'api', status: 'degraded_performance' }],
        },
        201,
      );
      incidents.push(created.id);
    }
    await sleep(1000);
    const baseline = await postUpdates(server, incidents, 'baseline');
    const emptyBytes = databaseBytes(server.dataDir);

    const importStarted = performance.now();
    for (let start = 0; start < SUBSCRIBERS; start += 10_000) {
      const subscribers = Array.from({ length: Math.min(10_000, SUBSCRIBERS - start) }, (_, i) => ({
        email: `subscriber${start + i}@example.com`,
      }));
      await server.request('POST', '/v1/subscribers', { subscribers });
    }
    const importSeconds = (performance.now() - importStarted) / 1000;
    await sleep(500);
    const importedBytes = databaseBytes(server.dataDir);

    const posted = performance.now();
    await server.request(
      'POST',
      '/v1/incidents',
      {
        title: 'Fan-out benchmark',
        severity: 'SEV3',
        message: 'We are investigating errors at checkout.',
        components: [{ id: 'checkout', status: 'partial_outage' }],
      },
      201,
    );
    let expandedAt: number | null = null;
    const watchExpansion = (async () => {
      for (;;) {
        const h = await health(server);
        if (h.subscriptions.expanding === 0 && h.subscriptions.deliveries_queued >= SUBSCRIBERS) {
          expandedAt = performance.now();
          return;
        }
        await sleep(20);
      }
    })();
    const during = await postUpdates(server, incidents, 'fan-out');
    await watchExpansion;
    const deadline = Date.now() + ((SUBSCRIBERS / 100 / RATE) * 3 + 120) * 1000;
    while (
      stub.delivered.filter((e) => e.subject === SUBJECT).length < SUBSCRIBERS &&
      Date.now() < deadline
    ) {
      await sleep(250);
    }
    await sleep(2000);
    const received = new Map<string, number>();
    for (const email of stub.delivered) {
      if (email.subject === SUBJECT)
        received.set(email.to[0]!, (received.get(email.to[0]!) ?? 0) + 1);
    }
    let missing = 0;
    for (let i = 0; i < SUBSCRIBERS; i++)
      if (!received.has(`subscriber${i}@example.com`)) missing++;
    const duplicates = [...received.values()].reduce((sum, n) => sum + n - 1, 0);
    const batches = stub.requests.filter(
      (r) => r.status === 200 && r.path === '/emails/batch' && r.emails > 0,
    );
    const first = Math.min(...batches.map((r) => r.at));
    const last = Math.max(...batches.map((r) => r.at));
    // Requests per second over the sending window: N requests in the first second count from
    // its start, hence the +1 s.
    const achieved = batches.length / ((last - first) / 1000 + 1);
    const rejected = stub.requests.filter((r) => r.status === 429).length;
    const finalBytes = databaseBytes(server.dataDir);
    const rss = memoryMiB(server.pid, 'VmHWM');
    const dbFile = statSync(join(server.dataDir, 'herald.db')).size;

    const ms = (x: number) => `${x.toFixed(1)} ms`;
    console.log(
      `\nbench/fanout: ${SUBSCRIBERS.toLocaleString('en-US')} confirmed subscribers, stand-in limited to ${RATE} requests/s (Herald configured the same), updates posted at ${POST_RATE}/s for ${SECONDS} s in each phase\n`,
    );
    console.log(
      `import of ${SUBSCRIBERS.toLocaleString('en-US')} subscribers (10,000 per call):   ${importSeconds.toFixed(1)} s`,
    );
    console.log(
      `fan-out expanded (update 201 → every delivery queued):  ${(((expandedAt ?? posted) - posted) / 1000).toFixed(2)} s`,
    );
    console.log(
      `send rate: ${achieved.toFixed(2)} requests/s of ${RATE} allowed = ${((achieved / RATE) * 100).toFixed(1)} % (target ≥ 90 %); ${batches.length} batches in ${((last - first) / 1000).toFixed(1)} s; ${rejected} answered 429`,
    );
    console.log(
      `delivered: ${received.size.toLocaleString('en-US')}; duplicates: ${duplicates}; missing: ${missing}`,
    );
    console.log(`server peak RSS: ${rss === null ? 'n/a' : `${rss.toFixed(0)} MiB`}`);
    console.log(
      `database bytes per subscriber: ${((importedBytes - emptyBytes) / SUBSCRIBERS).toFixed(0)} (subscriber rows), ${((finalBytes - importedBytes) / SUBSCRIBERS).toFixed(0)} (one update's delivery rows); file ${(dbFile / 1048576).toFixed(1)} MiB`,
    );
    console.log(
      `POST …/updates, no subscribers:     ${baseline.count} in ${SECONDS} s (${baseline.perSecond.toFixed(0)}/s), p50 ${ms(baseline.p50)}, p99 ${ms(baseline.p99)}, ${baseline.errors} errors`,
    );
    console.log(
      `POST …/updates, during the fan-out: ${during.count} in ${SECONDS} s (${during.perSecond.toFixed(0)}/s), p50 ${ms(during.p50)}, p99 ${ms(during.p99)}, ${during.errors} errors`,
    );
    console.log(
      `slowest three: without ${baseline.slowest}; during (the fan-out began at +0 s) ${during.slowest}`,
    );
    console.log(
      `p99 during / p99 without: ${(during.p99 / baseline.p99).toFixed(2)} (target ≤ 1.20)`,
    );
    // The machine is shared: say how busy it was, so a disturbed run can be told apart.
    console.log(
      `machine load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
    );
    if (duplicates !== 0 || missing !== 0) process.exitCode = 1;
  } finally {
    await server.stop();
    await stub.close();
  }
}

await main();

// The API benchmark of issue 2: sustained request rate and latency for posting updates and reading
// an incident. The real server runs in its own process (process 1); this process (process 2)
// seeds it over HTTP, drives it with autocannon, reads back what was stored, then stops it.
//
//   npm run bench:api -- [--seconds 15] [--warmup 3] [--connections 10,50] [--incidents 100]
//                        [--components api|all|id,id] [--profile]
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer, type RunningServer } from '../support/server.ts';
import { cpuShare, cpuSnapshot } from './cpu.ts';
import { runLoad, type LoadResult, type ScenarioKind } from './load.ts';
import {
  codeVersion,
  failureOf,
  machineFacts,
  resultsTable,
  storedTable,
  targetVerdict,
  toRow,
  type Row,
} from './report.ts';
import { checkStored, type StoredCheck } from './verify.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS_DIR = resolve(REPO_ROOT, 'bench/results');
/** Updates on each incident of the read runs, the declaration included: a long incident. */
const UPDATES_PER_READ_INCIDENT = 10;

function readOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '15' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10,50' },
      incidents: { type: 'string', default: '100' },
      components: { type: 'string', default: 'api' },
      profile: { type: 'boolean', default: false },
    },
  });
  const positive = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  return {
    seconds: positive('seconds', values.seconds),
    warmupSeconds: positive('warmup', values.warmup),
    connections: values.connections.split(',').map((c) => positive('connections', c)),
    incidents: positive('incidents', values.incidents),
    /** The components the incidents affect, in turn (`all`: the whole catalog). */
    components: values.components,
    profile: values.profile,
  };
}

type Options = ReturnType<typeof readOptions>;

interface Measured {
  label: string;
  warmUp: boolean;
  run: LoadResult;
  row: Row;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function catalogIds(server: RunningServer, wanted: string): Promise<string[]> {
  type Catalog = { components: Array<{ id: string }> };
  const known = (await server.request<Catalog>('GET', '/v1/components')).components.map(
    (c) => c.id,
  );
  if (wanted === 'all') return known;
  const ids = wanted.split(',');
  const unknown = ids.filter((id) => !known.includes(id));
  if (unknown.length > 0) throw new Error(`--components not in the catalog: ${unknown.join(', ')}`);
  return ids;
}

/** Declares and resolves the incidents the runs use, over the API, as an operator would. */
function incidentFactory(server: RunningServer, options: Options, componentIds: string[]) {
  let declared = 0;
  return {
    /** `options.incidents` SEV3 incidents, each with `updates` updates (the declaration too). */
    declare: (label: string, updates = 1) =>
      inParallel(
        Array.from({ length: options.incidents }, (_, i) => i + 1),
        10,
        async (i) => {
          const component = componentIds[declared++ % componentIds.length]!;
          const declaration = {
            title: `Elevated error rates on ${component} (${label}, ${i})`,
            severity: 'SEV3',
            message: `We are investigating elevated error rates on ${component}.`,
            components: [{ id: component, status: 'degraded_performance' }],
          };
          const { id } = await server.request<{ id: string }>(
            'POST',
            '/v1/incidents',
            declaration,
            201,
          );
          for (let u = 1; u < updates; u++) {
            const body = { message: `Progress note ${u}: engineers are working on a fix.` };
            await server.request('POST', `/v1/incidents/${id}/updates`, body, 201);
          }
          return id;
        },
      ),
    /** Resolving after each run keeps the number of open incidents the same for every run. */
    resolve: (ids: string[]) =>
      inParallel(ids, 10, (id) => {
        const body = { status: 'resolved', message: 'This incident has been resolved.' };
        return server.request('POST', `/v1/incidents/${id}/updates`, body, 201);
      }),
  };
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const options = readOptions(args);
  const command = ['npm run bench:api', ...(args.length ? ['--', ...args] : [])].join(' ');
  const machine = machineFacts();
  const code = codeVersion(REPO_ROOT);
  const startedAt = new Date();

  console.log('Herald API benchmark (issue 2)');
  console.log(`command:  ${command}`);
  console.log(`code:     ${code}`);
  console.log(
    `machine:  ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ` +
      `${machine.os}, node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );

  const profileDir = resolve(RESULTS_DIR, 'profiles');
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const server = await startServer({
    nodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  // Load runs take 2 × (runs × seconds + warm-up); seeding and reading back take well under 3 min.
  const budgetSeconds = 2 * (options.connections.length * options.seconds + options.warmupSeconds);
  const watchdog = setTimeout(
    () => {
      console.error('\n!!! The benchmark overran its time budget: stopping the server.');
      void server.stop(2_000).finally(() => process.exit(2));
    },
    (budgetSeconds + 180) * 1000,
  );
  watchdog.unref();
  process.once('SIGINT', () => void server.stop(2_000).finally(() => process.exit(130)));

  const measured: Measured[] = [];
  const checks: StoredCheck[] = [];
  let serverExit: Awaited<ReturnType<RunningServer['stop']>>;
  try {
    const componentIds = await catalogIds(server, options.components);
    const incidents = incidentFactory(server, options, componentIds);
    console.log(
      `setup:    server (pid ${server.pid}) on ${server.baseUrl}, fresh database; autocannon ` +
        `in this process (pid ${process.pid}); ${options.seconds} s per run after a ` +
        `${options.warmupSeconds} s warm-up\n` +
        `          posting: ${options.incidents} fresh SEV3 incidents per run on ` +
        `${componentIds.join(', ')}; unique messages, round-robin; read back, then resolved\n` +
        `          reading: ${options.incidents} incidents of ${UPDATES_PER_READ_INCIDENT} ` +
        `updates, round-robin`,
    );

    const measure = async (
      kind: ScenarioKind,
      connections: number,
      ids: string[],
      warmUp: boolean,
    ) => {
      const name = `${warmUp ? 'warm-up: ' : ''}${kind}`;
      const label = `${name} (${connections} conns)`;
      const seconds = warmUp ? options.warmupSeconds : options.seconds;
      await sleep(500); // let the seeding writes settle before the clock starts
      const before = cpuSnapshot(server.pid);
      const run = await runLoad(server.baseUrl, server.adminToken, {
        name,
        kind,
        connections,
        seconds,
        incidentIds: ids,
      });
      const row = toRow(run, cpuShare(before, cpuSnapshot(server.pid)));
      const flag = failureOf(row) ? '  <-- ERRORS' : '';
      console.log(
        `  ${label.padEnd(36)} ${String(row.requestsPerSecond).padStart(5)} req/s, ` +
          `p99 ${row.latencyMs.p99} ms${flag}`,
      );
      measured.push({ label, warmUp, run, row });
      return { label, run };
    };
    const posting = async (connections: number, warmUp = false) => {
      const ids = await incidents.declare(`${connections} conns`);
      const { label, run } = await measure('post update', connections, ids, warmUp);
      checks.push(await checkStored(server, run, label));
      await incidents.resolve(ids);
    };

    console.log('\nrunning:');
    await posting(10, true);
    for (const connections of options.connections) await posting(connections);
    const readSet = await incidents.declare('read', UPDATES_PER_READ_INCIDENT);
    await measure('get incident', 10, readSet, true);
    for (const connections of options.connections) {
      await measure('get incident', connections, readSet, false);
    }
  } finally {
    serverExit = await server.stop();
    clearTimeout(watchdog);
  }

  const rows = measured.filter((m) => !m.warmUp).map((m) => m.row);
  const failures = measured.map((m) => failureOf(m.row)).filter((f) => f !== null);
  const lostOrUnexpected = checks.filter((c) => !c.ok);
  const valid = failures.length === 0 && lostOrUnexpected.length === 0;
  const target = targetVerdict(rows);
  const perIncident = rows
    .filter((r) => r.meetsTarget !== null)
    .map((r) => `${Math.round(r.total / options.incidents)} (${r.connections} conns)`);

  console.log(`\nResults (${options.seconds} s per run; CPU in % of one core, from /proc)\n`);
  console.log(resultsTable(rows));
  console.log(`\nUpdates per incident at the end of each posting run: ${perIncident.join(', ')}.`);
  console.log(
    'Each connection waits for its response before sending again, so mean latency is about\n' +
      'connections ÷ throughput: at 50 conns, p99 under 50 ms needs well over 1,000 req/s.',
  );
  console.log('\nStored updates, read back over the API. autocannon drops its connections at its');
  console.log('deadline, so the last update on a connection may be stored with its 201 uncounted;');
  console.log('each of those is identified by its message number (at most one per connection).\n');
  console.log(storedTable(checks));
  console.log(`\n${target.text}`);
  const exit = serverExit.signal ?? `code ${serverExit.code}`;
  const load = loadavg().map((n) => n.toFixed(2));
  console.log(`server exit after SIGTERM: ${exit}; load average now ${load.join(' ')}`);
  if (options.profile) console.log(`server CPU profile: ${profileDir}/`);
  if (!valid) {
    console.log(`\n${'!'.repeat(78)}`);
    console.log('!!! THIS RUN HAD ERRORS: its figures are not valid.');
    for (const f of failures) console.log(`!!!   ${f}`);
    for (const c of lostOrUnexpected) {
      console.log(
        `!!!   ${c.scenario}: ${c.lost} acknowledged updates lost, ${c.unexpected} unexpected`,
      );
    }
    console.log('!'.repeat(78));
  }

  mkdirSync(RESULTS_DIR, { recursive: true });
  const jsonPath = resolve(RESULTS_DIR, 'api.json');
  const report = {
    command,
    code,
    startedAt: startedAt.toISOString(),
    machine: { ...machine, loadAverageAtEnd: loadavg() },
    options,
    target: { met: target.met, verdict: target.text },
    valid,
    results: rows,
    warmUps: measured.filter((m) => m.warmUp).map((m) => m.row),
    stored: checks,
    serverExit,
  };
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${jsonPath}`);
  return valid ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`bench/api failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);

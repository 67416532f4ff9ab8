/**
 * `npm run bench:serve`: how fast the built-in server sends the status page, against nginx serving
 * the same files. One Herald process (started as `npm start` starts it, on a fresh data directory
 * with a few incidents) and, where an `nginx` binary is available, one nginx worker on Herald's own
 * `data/site/` (with `gzip_static`, and `brotli_static` when its module is installed). Runs are
 * interleaved (Herald, nginx, Herald, nginx…) so both see the same machine. Installs nothing: without
 * nginx it measures Herald alone and says so.
 *
 * Options: `--connections 50 --seconds 8 --rounds 2 --path /`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon, { type Result } from 'autocannon';
import { cpuShare, cpuSnapshot } from '../api/cpu.ts';
import { startServer } from '../support/server.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    path: { type: 'string', default: '/' },
  },
});
const connections = Number(values.connections);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const path = values.path;

const ENCODINGS = [
  { name: 'plain', acceptEncoding: null },
  { name: 'br', acceptEncoding: 'br' },
  { name: 'gzip', acceptEncoding: 'gzip' },
] as const;

/** The nginx binary on this machine, or null. */
function findNginx(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The brotli_static module (Debian: libnginx-mod-http-brotli-static), or null. */
function brotliModule(): string | null {
  for (const dir of [
    '/usr/lib/nginx/modules',
    '/usr/share/nginx/modules',
    '/usr/local/nginx/modules',
  ]) {
    const file = join(dir, 'ngx_http_brotli_static_module.so');
    if (existsSync(file)) return file;
  }
  return null;
}

interface Nginx {
  url: string;
  pid: number;
  brotli: boolean;
  stop(): Promise<void>;
}

/** One nginx worker serving `root`, configured as the README shows. */
async function startNginx(binary: string, root: string): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-nginx-'));
  const port = await freePort();
  const brotli = brotliModule();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
${brotli ? `load_module ${brotli};` : ''}
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  access_log ${join(dir, 'access.log')};
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    index index.html;
    gzip_static on;
    ${brotli ? 'brotli_static on;' : ''}
    add_header Cache-Control "public, max-age=10, stale-while-revalidate=30, stale-if-error=86400";
  }
}
`,
  );
  const child: ChildProcess = spawn(binary, ['-c', conf, '-p', dir], { stdio: 'inherit' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await fetchStatus(url)) === 200) break;
    await sleep(50);
  }
  const master = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
  // The worker does the serving: its CPU is the one to report.
  const worker = Number(
    readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/)[0],
  );
  return {
    url,
    pid: Number.isInteger(worker) && worker > 0 ? worker : master,
    brotli: brotli !== null,
    async stop() {
      child.kill('SIGQUIT');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function fetchStatus(url: string): Promise<number | null> {
  try {
    return (await fetch(url)).status;
  } catch {
    return null;
  }
}

/** One response as sent: its encoding and body length. */
function probe(
  base: string,
  acceptEncoding: string | null,
): Promise<{ status: number; encoding: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            encoding: String(res.headers['content-encoding'] ?? 'identity'),
            bytes,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Row {
  target: string;
  encoding: string;
  sent: string;
  bytes: number;
  rps: number[];
  p50: number[];
  p99: number[];
  errors: number;
  cpu: string[];
}

async function load(
  base: string,
  pid: number,
  acceptEncoding: string | null,
): Promise<{ result: Result; cpu: string }> {
  const before = cpuSnapshot(pid);
  const result = await autocannon({
    url: `${base}${path}`,
    connections,
    duration: seconds,
    timeout: 10,
    headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
  });
  const share = cpuShare(before, cpuSnapshot(pid));
  return {
    result,
    cpu: `server ${share.server ?? '?'} %, load generator ${share.loadGenerator} %, others ${share.others ?? '?'} %`,
  };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const herald = await startServer();
let nginx: Nginx | null = null;
try {
  // A little content: an index with active incidents, as during an outage.
  const created: string[] = [];
  for (const [title, component] of [
    ['Elevated API error rates', 'api'],
    ['Checkout latency', 'checkout'],
  ] as const) {
    const incident = await herald.request<{ id: string }>(
      'POST',
      '/v1/incidents',
      {
        title,
        severity: 'SEV3',
        message: 'We are investigating.',
        components: [{ id: component, status: 'partial_outage' }],
      },
      201,
    );
    created.push(incident.id);
  }
  // Ready, and both incidents on the published index (their publish has finished).
  for (let i = 0; i < 600; i++) {
    const ready = (await fetch(`${herald.baseUrl}/readyz`)).status === 200;
    const index = ready ? await (await fetch(`${herald.baseUrl}/`)).text() : '';
    if (index.includes('Elevated API error rates') && index.includes('Checkout latency')) break;
    await sleep(100);
  }

  const binary = findNginx();
  if (binary) nginx = await startNginx(binary, join(herald.dataDir, 'site'));
  else
    console.log(
      'nginx is not installed here: measuring Herald alone (on Debian: apt-get install nginx-light libnginx-mod-http-brotli-static)',
    );

  const targets = [
    { name: 'herald', url: herald.baseUrl, pid: herald.pid },
    ...(nginx ? [{ name: 'nginx', url: nginx.url, pid: nginx.pid }] : []),
  ];
  const rows = new Map<string, Row>();
  for (const target of targets)
    for (const encoding of ENCODINGS) {
      const sent = await probe(target.url, encoding.acceptEncoding);
      if (sent.status !== 200) throw new Error(`${target.name} ${path}: HTTP ${sent.status}`);
      rows.set(`${target.name} ${encoding.name}`, {
        target: target.name,
        encoding: encoding.name,
        sent: sent.encoding,
        bytes: sent.bytes,
        rps: [],
        p50: [],
        p99: [],
        errors: 0,
        cpu: [],
      });
    }

  console.log(
    `GET ${path}, ${connections} connections, ${seconds} s per run, ${rounds} round(s), interleaved; node ${process.version}; ${nginx ? `nginx: 1 worker, gzip_static${nginx.brotli ? ', brotli_static' : ' (no brotli_static module: br clients get gzip)'}` : 'no nginx'}`,
  );
  for (let round = 1; round <= rounds; round++)
    for (const encoding of ENCODINGS)
      for (const target of targets) {
        const row = rows.get(`${target.name} ${encoding.name}`)!;
        const { result, cpu } = await load(target.url, target.pid, encoding.acceptEncoding);
        row.rps.push(result.requests.average);
        row.p50.push(result.latency.p50);
        row.p99.push(result.latency.p99);
        row.errors += result.errors + result.timeouts + result.non2xx;
        row.cpu.push(cpu);
        console.log(
          `  round ${round} ${target.name.padEnd(6)} ${encoding.name.padEnd(5)} ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms (${cpu})`,
        );
      }

  // The API under the flood: one update posted in the middle of a run on Herald's index, timed
  // from the request to its 201, and to the new message in the index on disk (published).
  const flood = autocannon({ url: `${herald.baseUrl}${path}`, connections, duration: seconds });
  await sleep((seconds * 1000) / 2);
  const marker = `flood-update-${Date.now()}`;
  const posted = performance.now();
  await herald.request(
    'POST',
    `/v1/incidents/${created[0]!}/updates`,
    { message: `Still investigating ${marker}.` },
    201,
  );
  const accepted = performance.now() - posted;
  let published: number | null = null;
  while (published === null && performance.now() - posted < 10_000) {
    const index = readFileSync(join(herald.dataDir, 'site', 'index.html'), 'utf8');
    if (index.includes(marker)) published = performance.now() - posted;
    else await sleep(5);
  }
  const floodResult = await flood;

  console.log('\nmedian of the rounds:');
  console.log('target  asked  sent      bytes/resp  req/s    p50 ms  p99 ms  errors');
  for (const row of rows.values())
    console.log(
      `${row.target.padEnd(7)} ${row.encoding.padEnd(6)} ${row.sent.padEnd(9)} ${String(row.bytes).padStart(10)}  ${String(Math.round(median(row.rps))).padStart(6)}  ${String(median(row.p50)).padStart(6)}  ${String(median(row.p99)).padStart(6)}  ${row.errors}`,
    );
  if (nginx) {
    console.log('');
    for (const encoding of ENCODINGS) {
      const h = rows.get(`herald ${encoding.name}`)!;
      const n = rows.get(`nginx ${encoding.name}`)!;
      const ratio = median(h.rps) / median(n.rps);
      console.log(
        `${encoding.name.padEnd(5)} Herald ÷ nginx: ${ratio.toFixed(2)}× (target ≥ 0.7×: ${ratio >= 0.7 ? 'met' : 'not met'}); Herald p99 ${median(h.p99)} ms (target < 20 ms: ${median(h.p99) < 20 ? 'met' : 'not met'})`,
      );
    }
  }
  console.log(
    `\nAn update posted during a ${connections}-connection flood of ${path} (${Math.round(floodResult.requests.average)} req/s): 201 after ${accepted.toFixed(0)} ms, on the published index after ${published === null ? 'more than 10,000' : published.toFixed(0)} ms (target < 1,000 ms: ${published !== null && published < 1000 ? 'met' : 'not met'})`,
  );
} finally {
  await nginx?.stop();
  await herald.stop();
}

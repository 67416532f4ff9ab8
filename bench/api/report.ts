import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { CpuShare } from './cpu.ts';
import type { LoadResult } from './load.ts';
import type { StoredCheck } from './verify.ts';

/** Issue 2's target for posting updates. */
export const TARGET = { updatesPerSecond: 1000, p99Ms: 50 };

export interface Row {
  scenario: string;
  kind: string;
  connections: number;
  seconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCounts: Record<string, number>;
  cpuPercentOfOneCore: CpuShare;
  /** Server CPU time per completed request: what a request costs, however busy the machine. */
  serverCpuMsPerRequest: number | null;
  /** Only for posting runs: whether this run alone meets the target. */
  meetsTarget: boolean | null;
}

export function toRow(run: LoadResult, cpu: CpuShare): Row {
  const r = run.autocannon;
  const requestsPerSecond = Math.round(r.requests.mean);
  return {
    scenario: run.scenario.name,
    kind: run.scenario.kind,
    connections: run.scenario.connections,
    seconds: r.duration,
    requestsPerSecond,
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      mean: r.latency.mean,
    },
    total: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCounts: Object.fromEntries(
      Object.entries(r.statusCodeStats).map(([status, { count }]) => [status, count]),
    ),
    cpuPercentOfOneCore: cpu,
    serverCpuMsPerRequest:
      cpu.server === null || r.requests.total === 0
        ? null
        : Math.round((cpu.server * cpu.seconds * 1000) / r.requests.total) / 100,
    meetsTarget:
      run.scenario.kind === 'post update'
        ? requestsPerSecond >= TARGET.updatesPerSecond && r.latency.p99 < TARGET.p99Ms
        : null,
  };
}

/** A line when the run had non-2xx responses or connection errors, else null. */
export function failureOf(row: Row): string | null {
  if (row.non2xx === 0 && row.errors === 0) return null;
  const statuses = Object.entries(row.statusCounts)
    .filter(([status]) => !status.startsWith('2'))
    .map(([status, count]) => `${count} × ${status}`);
  return (
    `${row.scenario} (${row.connections} conns): ${row.non2xx} non-2xx [${statuses.join(', ')}], ` +
    `${row.errors} connection errors (${row.timeouts} timeouts)`
  );
}

/**
 * The code measured: the commit, and whether `src/` differs from it (the working tree is shared,
 * so a run may measure work in progress). Read-only git, without refreshing the index.
 */
export function codeVersion(repoRoot: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['--no-optional-locks', ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    const commit = git('rev-parse', '--short', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    return changed === 0 ? commit : `${commit} + uncommitted changes to ${changed} paths in src/`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

export function machineFacts() {
  const cores = cpus();
  return {
    cores: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

const number = (n: number) => n.toLocaleString('en-US');
const percent = (n: number | null) => (n === null ? '?' : `${Math.round(n)}%`);

function table(header: string[], rows: string[][], leftAligned = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < leftAligned ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function resultsTable(rows: Row[]): string {
  const header = ['scenario', 'conns', 'req/s (mean)', 'p50 ms', 'p99 ms', 'total', 'non-2xx'];
  header.push('errors', 'server CPU ms/req', 'CPU server/bench/others', 'target');
  return table(
    header,
    rows.map((r) => {
      const cpu = r.cpuPercentOfOneCore;
      return [
        r.scenario,
        String(r.connections),
        number(r.requestsPerSecond),
        String(r.latencyMs.p50),
        String(r.latencyMs.p99),
        number(r.total),
        number(r.non2xx),
        number(r.errors),
        r.serverCpuMsPerRequest === null ? '?' : r.serverCpuMsPerRequest.toFixed(2),
        [cpu.server, cpu.loadGenerator, cpu.others].map(percent).join(' / '),
        r.meetsTarget === null ? '' : r.meetsTarget ? 'met' : 'MISSED',
      ];
    }),
  );
}

export function storedTable(checks: StoredCheck[]): string {
  return table(
    [
      'scenario',
      '201s',
      'stored',
      '= 201s + response dropped at stop',
      'lost',
      'unexpected',
      'check',
    ],
    checks.map((c) => [
      c.scenario,
      number(c.acknowledged),
      number(c.stored),
      `${number(c.acknowledged)} + ${c.storedWithoutResponse}`,
      String(c.lost),
      String(c.unexpected),
      c.ok ? 'OK' : 'FAILED',
    ]),
  );
}

/** The verdict on issue 2's target, naming the connection counts where it was met or missed. */
export function targetVerdict(rows: Row[]): { met: boolean; text: string } {
  const posts = rows.filter((r) => r.meetsTarget !== null);
  const where = (met: boolean) =>
    posts
      .filter((r) => r.meetsTarget === met)
      .map((r) => `${r.connections} conns`)
      .join(', ');
  const met = posts.some((r) => r.meetsTarget);
  const text =
    `Target (issue 2), ${TARGET.updatesPerSecond} updates/s with p99 under ${TARGET.p99Ms} ms: ` +
    (met ? `met at ${where(true)}` : `MISSED at ${where(false)}`) +
    (met && posts.some((r) => !r.meetsTarget) ? `; missed at ${where(false)}` : '');
  return { met, text };
}

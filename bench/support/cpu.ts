import { readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc` times (`getconf CLK_TCK`: 100 on Linux everywhere). */
const TICKS = 100;

/**
 * The CPU time a process has used, user and system, all its threads, in seconds, from
 * `/proc/<pid>/stat`; null where there is no such figure.
 */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** The machine's CPU time by kind since boot, in seconds summed over its cores (`/proc/stat`). */
export interface MachineCpu {
  busy: number;
  idle: number;
  iowait: number;
  steal: number;
}

export function machineCpu(): MachineCpu | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .split(/\s+/)
      .slice(1)
      .map((n) => Number(n) / TICKS);
    return {
      busy: user! + nice! + system! + irq! + softirq!,
      idle: idle!,
      iowait: iowait!,
      steal: steal ?? 0,
    };
  } catch {
    return null;
  }
}

/**
 * Where a stretch of wall time went, as text: how much of it a process computed (`processSeconds`
 * of CPU in it), and the machine's share of waiting on disks (iowait) and of cores taken by the
 * host (steal), both over all its cores. Tells a slow stretch that computed more from one that
 * waited.
 */
export function cpuAccount(
  wallSeconds: number,
  processSeconds: number | null,
  machine: { before: MachineCpu | null; after: MachineCpu | null },
): string {
  const parts: string[] = [];
  if (processSeconds !== null)
    parts.push(
      `CPU ${processSeconds.toFixed(1)} s (${(processSeconds / wallSeconds).toFixed(2)} of the wall time)`,
    );
  const { before, after } = machine;
  if (before && after) {
    const total =
      after.busy +
      after.idle +
      after.iowait +
      after.steal -
      (before.busy + before.idle + before.iowait + before.steal);
    const share = (n: number) => `${((100 * n) / total).toFixed(1)} %`;
    parts.push(
      `machine busy ${share(after.busy - before.busy)}, iowait ${share(after.iowait - before.iowait)}, steal ${share(after.steal - before.steal)}`,
    );
  }
  return parts.join('; ');
}

/** A fixed computation (a few ms on this machine): its time tells how fast a core is right now. */
function fixedWork(): number {
  let x = 1;
  for (let i = 0; i < 5_000_000; i++) x = (Math.imul(x, 1_103_515_245) + 12_345) | 0;
  return x;
}

function timeFixedWork(): number {
  const t = performance.now();
  if (fixedWork() === 0.5) throw new Error('unreachable'); // keeps the result used
  return performance.now() - t;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/**
 * Times `fixedWork` in this process, first a few times back to back, then every `everyMs` until
 * stopped: how much slower a core ran for it while something else (an export) ran than before, as
 * text. On a virtual machine the host's other guests show here, where the guest's own counters
 * (`machineCpu`'s steal) may show nothing.
 */
export function startSpeedProbe(everyMs = 500): { stop(): string } {
  const before = Array.from({ length: 9 }, timeFixedWork);
  const during: number[] = [];
  const timer = setInterval(() => during.push(timeFixedWork()), everyMs);
  return {
    stop() {
      clearInterval(timer);
      const idle = median(before);
      const busy = median(during);
      return `a fixed computation took ${idle.toFixed(1)} ms before, median ${busy.toFixed(1)} ms during (${(busy / idle).toFixed(2)}×)`;
    },
  };
}

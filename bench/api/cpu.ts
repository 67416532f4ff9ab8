import { readFileSync } from 'node:fs';

/**
 * Who used the CPU during a run, so a disturbed run on a shared machine can be told apart from a
 * slow server: the server process, this process (the load generator) and everything else.
 * Linux only (`/proc`); elsewhere the figures are null.
 */
export interface CpuShare {
  /** Length of the measured window. */
  seconds: number;
  /** Percent of one core. */
  server: number | null;
  loadGenerator: number;
  /** Percent of one core used by every other process on the machine. */
  others: number | null;
}

interface Snapshot {
  at: bigint;
  serverTicks: number | null;
  selfMicros: number;
  machineBusyTicks: number | null;
}

// USER_HZ: the unit of /proc times; 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

function processTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may contain spaces, so split after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return null;
  }
}

function machineBusyTicks(): number | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return user! + nice! + system! + irq! + softirq! + steal!;
  } catch {
    return null;
  }
}

export function cpuSnapshot(serverPid: number): Snapshot {
  const usage = process.cpuUsage();
  return {
    at: process.hrtime.bigint(),
    serverTicks: processTicks(serverPid),
    selfMicros: usage.user + usage.system,
    machineBusyTicks: machineBusyTicks(),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function cpuShare(before: Snapshot, after: Snapshot): CpuShare {
  const seconds = Number(after.at - before.at) / 1e9;
  const percent = (ticks: number) => round1((ticks / TICKS_PER_SECOND / seconds) * 100);
  const server =
    before.serverTicks === null || after.serverTicks === null
      ? null
      : percent(after.serverTicks - before.serverTicks);
  const loadGenerator = round1(((after.selfMicros - before.selfMicros) / 1e6 / seconds) * 100);
  const machine =
    before.machineBusyTicks === null || after.machineBusyTicks === null
      ? null
      : percent(after.machineBusyTicks - before.machineBusyTicks);
  const others =
    machine === null || server === null
      ? null
      : round1(Math.max(0, machine - server - loadGenerator));
  return { seconds: round1(seconds), server, loadGenerator, others };
}

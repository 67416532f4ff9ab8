import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cpuAccount, machineCpu, processCpuSeconds, startSpeedProbe } from './cpu.ts';

/**
 * How fast the file system creates what an export creates, in ms per directory: `dirs` new
 * directories in `dir`, each with three new 3 KB files (a page and its two compressed copies),
 * left in place. Deleting them would make the next creations slower: on ext4 without a journal
 * (these machines), new inodes are chosen past the recently deleted ones, and after deleting a
 * large tree (an earlier benchmark's site) creating a directory with three files took 1.6–2.0 ms
 * here for about two minutes, where it takes about 0.07 ms otherwise. A start-up export into an
 * empty directory runs at the file system's pace then, so the benchmarks print this beside it.
 */
export function fileCreationMs(dir: string, dirs = 1000): number {
  mkdirSync(dir, { recursive: true });
  const body = Buffer.alloc(3000, 120);
  const started = performance.now();
  for (let i = 0; i < dirs; i++) {
    const sub = join(dir, String(i));
    mkdirSync(sub);
    for (const name of ['index.html', 'index.html.br', 'index.html.gz']) {
      const fd = openSync(join(sub, name), 'wx');
      writeSync(fd, body);
      closeSync(fd);
    }
  }
  return (performance.now() - started) / dirs;
}

/** Above this, creating is in the slow state `fileCreationMs` describes (about 0.08 otherwise). */
const SETTLED_MS = 0.15;
/** Probes in a row under `SETTLED_MS`: the slow state comes and goes from one probe to the next. */
const SETTLED_PROBES = 3;

/**
 * Waits, up to `maxSeconds`, until the file system creates directories at its usual pace again
 * (`fileCreationMs` of 500 directories under 0.15 ms three times in a row, 10 s apart, in `dir`),
 * so that a benchmark started right after another one deleted its sites measures the export, not
 * the file system's slow state; says what it waited for. The exports print a probe of their own.
 */
export async function settledFileSystem(dir: string, maxSeconds = 300): Promise<string> {
  const started = performance.now();
  const probes: number[] = [];
  const settled = () =>
    probes.length >= SETTLED_PROBES && probes.slice(-SETTLED_PROBES).every((ms) => ms < SETTLED_MS);
  while (!settled() && performance.now() - started < maxSeconds * 1000) {
    if (probes.length > 0) await new Promise((r) => setTimeout(r, 10_000));
    probes.push(fileCreationMs(join(dir, `settle-${probes.length}`), 500));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  const list = probes.map((ms) => ms.toFixed(2)).join(', ');
  return settled()
    ? `the file system created a directory with three files in ${list} ms (probes 10 s apart, ${seconds} s; about 0.08 when settled, slower for minutes after a large deletion such as an earlier benchmark's)`
    : `the file system was still slow after ${maxSeconds} s (a directory with three files in ${list} ms; about 0.08 when settled): figures below include that`;
}

/**
 * Starts watching a server's start-up export: probes the file system in `probeDir` first
 * (`fileCreationMs`), then times the machine. `finish` says, as text, where the export's wall
 * time went (`cpuAccount`, `startSpeedProbe`) and how fast the file system was just before.
 */
export function watchStartUp(probeDir: string): {
  finish(pid: number, wallSeconds: number): string;
} {
  const createMs = fileCreationMs(probeDir);
  const probe = startSpeedProbe();
  const machineBefore = machineCpu();
  return {
    finish(pid, wallSeconds) {
      const spent = cpuAccount(wallSeconds, processCpuSeconds(pid), {
        before: machineBefore,
        after: machineCpu(),
      });
      return `${spent}; ${probe.stop()}; the file system created a directory with three files in ${createMs.toFixed(2)} ms just before`;
    },
  };
}

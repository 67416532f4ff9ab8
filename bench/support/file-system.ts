import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

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
const SETTLED_MS = 0.2;

/**
 * Waits, up to `maxSeconds`, until the file system creates directories at its usual pace again
 * (`fileCreationMs` under 0.2 ms, probed every 10 s in `dir`), so that a benchmark started right
 * after another one deleted its sites measures the export, not the file system's slow state; says
 * what it waited for.
 */
export async function settledFileSystem(dir: string, maxSeconds = 300): Promise<string> {
  const started = performance.now();
  const first = fileCreationMs(join(dir, 'settle-0'), 200);
  let last = first;
  for (let n = 1; last >= SETTLED_MS; n++) {
    if (performance.now() - started > maxSeconds * 1000)
      return `the file system still created a directory with three files in ${last.toFixed(2)} ms after ${maxSeconds} s (usually about 0.08): figures below include that`;
    await new Promise((r) => setTimeout(r, 10_000));
    last = fileCreationMs(join(dir, `settle-${n}`), 200);
  }
  const waited = (performance.now() - started) / 1000;
  return waited < 1
    ? `the file system created a directory with three files in ${first.toFixed(2)} ms`
    : `waited ${waited.toFixed(0)} s for the file system to create a directory with three files in under ${SETTLED_MS} ms (${first.toFixed(2)} → ${last.toFixed(2)} ms; a large deletion, such as an earlier benchmark's, had slowed it)`;
}

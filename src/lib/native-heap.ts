/**
 * The C heap's free pages, given back to the system.
 *
 * glibc's `malloc` returns freed memory to the system only from the top of each heap: a page in
 * the middle stays resident as long as one live allocation sits above it. A full export at
 * 100,000 incidents passes some hundred thousand pages' buffers, their compressed copies and
 * SQLite's rows through it, and afterwards the server's C heaps held 66 MiB of free pages (measured
 * by calling `malloc_trim(0)` in the running server from a debugger: resident set 270 → 204 MiB).
 * `malloc_trim` is the only way to get them back: this calls it through `node:ffi` (Node 26; still
 * experimental, so `npm start` silences its warning). Where either is missing (an older Node,
 * another C library, `--no-experimental-ffi`) nothing happens and `trimNativeHeap` says so.
 */

interface Libc {
  trim(): void;
  limitArenas(max: number): void;
}

let libc: Libc | null | undefined;

/** glibc's `M_ARENA_MAX` (malloc.h): how many heaps its threads may spread over. */
const M_ARENA_MAX = -8;

function load(): Libc | null {
  if (process.platform !== 'linux') return null;
  // Absent before Node 26 (and where it is switched off): the types say otherwise.
  const ffi = process.getBuiltinModule('node:ffi') as typeof import('node:ffi') | undefined;
  if (!ffi) return null;
  try {
    const { functions } = ffi.dlopen('libc.so.6', {
      malloc_trim: { return: 'i32', arguments: ['u64'] },
      mallopt: { return: 'i32', arguments: ['i32', 'i32'] },
    });
    return {
      // 0: keep no padding at the top of the main heap.
      trim: () => void functions.malloc_trim(0n),
      limitArenas: (max) => void functions.mallopt(M_ARENA_MAX, max),
    };
  } catch {
    // Not glibc (musl has no libc.so.6 nor malloc_trim): its allocator is its own business.
    return null;
  }
}

function glibc(): Libc | null {
  if (libc === undefined) libc = load();
  return libc;
}

/** Gives the C heaps' free pages back to the system; false where this runtime cannot. */
export function trimNativeHeap(): boolean {
  glibc()?.trim();
  return glibc() !== null;
}

/**
 * Caps the C heaps at `max`, as `MALLOC_ARENA_MAX` does when set before the process starts. By
 * default glibc gives each thread that allocates a heap of its own, up to eight per core: at
 * 100,000 incidents, after 60 publishes, four threads' heaps (of the thread pool's four and V8's
 * four workers) held 10 to 13 MiB each that `malloc_trim` could not free, 45 MiB in all; capped
 * at two, the server settled at 222–229 MiB in the minute after, where it ranged 247–289. Threads that already
 * hold a heap keep it, so this runs first thing in `main.ts`. An operator's own
 * `MALLOC_ARENA_MAX` wins (glibc read it at start): 'operator'. False where this runtime cannot.
 */
export function limitNativeHeaps(max = 2): boolean | 'operator' {
  if (process.env.MALLOC_ARENA_MAX) return 'operator';
  glibc()?.limitArenas(max);
  return glibc() !== null;
}

/**
 * Every `intervalMs`, trims the C heaps when the resident set has grown by `growthBytes` since the
 * last trim: after a burst of publishes or a mail fan-out, not on every quiet tick. A trim takes
 * about a millisecond (it walks the heaps' free lists); the check reads one counter.
 */
export function startNativeHeapTrimmer(
  intervalMs = 10_000,
  growthBytes = 16 * 2 ** 20,
): { stop(): void } {
  if (!trimNativeHeap()) return { stop() {} };
  let after = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    // Measured from the lowest since the last trim: V8 giving back its own pages lowers it too.
    after = Math.min(after, rss);
    if (rss - after < growthBytes) return;
    trimNativeHeap();
    after = process.memoryUsage.rss();
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

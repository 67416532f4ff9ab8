import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimNativeHeap } from './native-heap.ts';

type Gc = (options?: {
  type: 'major' | 'minor';
  execution: 'sync';
  flavor?: 'last-resort';
}) => void;

/** This thread's V8 `gc`, reached through a fresh context once `--expose-gc` is set; null where refused. */
const gcOfThread = (() => {
  let gc: Gc | null | undefined;
  return (): Gc | null => {
    if (gc === undefined) {
      try {
        setFlagsFromString('--expose-gc');
        gc = runInNewContext('gc') as Gc;
      } catch {
        gc = null;
      }
    }
    return gc;
  };
})();

/**
 * Runs a full garbage collection now and gives the freed memory back to the system. After a large
 * full export V8 keeps the heap it grew to (hundreds of MiB of garbage at 100,000 incidents) until
 * allocation resumes, and an idle status server allocates little. The collection is V8's `gc`
 * (`gcOfThread`) in its "last resort" flavour: a plain
 * collection empties the heap but keeps its pages (measured: 736 MiB resident after it, against
 * 72 MiB after this one, for the same garbage). Where the runtime refuses, this does nothing.
 * Then the C heaps' free pages go back too (`trimNativeHeap`).
 */
export function collectGarbage(): void {
  gcOfThread()?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  trimNativeHeap();
}

/**
 * A collection of the calling thread's young generation, as a function to call when wanted; null
 * where the runtime refuses. For a thread that receives large buffers and holds nothing: their
 * memory lies outside the heap and goes only when a collection finds them dead, which V8 left
 * until up to 70 MiB had piled up in the site writer thread (sampled every second through an
 * export of 100,000 incidents: 50 MiB on average; 29 with a collection every 16 MiB received).
 */
export function youngCollector(): (() => void) | null {
  const gc = gcOfThread();
  return gc && (() => gc({ type: 'minor', execution: 'sync' }));
}

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent. V8's own
 * choice, up to four times the live heap when collecting is cheap, made a 100,000-incident export
 * hold 550 MiB of heap for about 150 MiB live, and the server keep it. 50 % bounds the heap at one
 * and a half times what is live, for more frequent, shorter collections (see the README's
 * performance notes for what it costs and saves).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * Sets V8's heap growing factor for this process unless the operator chose one
 * (`node --heap-growing-percent=N`; Node does not take V8 flags from `NODE_OPTIONS`). V8 reads it
 * at every full collection, so setting it at start-up is enough. Returns the value in force.
 */
export function boundHeapGrowth(percent = HEAP_GROWING_PERCENT): number | 'operator' {
  if (operatorChoseGrowth()) return 'operator';
  setGrowth(percent);
  return percent;
}

/** What `boundHeapGrowth` set; 0 (V8's own choice) before. */
let growthInForce = 0;

function operatorChoseGrowth(): boolean {
  return process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg));
}

/**
 * The growth for the length of a full export: at 100,000 incidents over one year (the seed's
 * default span) the start-up export peaked at 510–542 MiB with 50 %, 484 with 25 %.
 */
export const EXPORT_HEAP_GROWING_PERCENT = 25;

/**
 * Runs `work` with V8's heap growing factor at `percent`, then puts back the one in force before
 * (more frequent full collections while it runs, and a lower peak); where the operator chose one,
 * runs `work` alone.
 */
export async function withHeapGrowth<T>(percent: number, work: () => Promise<T>): Promise<T> {
  if (operatorChoseGrowth()) return work();
  const before = growthInForce;
  setGrowth(percent);
  try {
    return await work();
  } finally {
    setGrowth(before);
  }
}

function setGrowth(percent: number): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  growthInForce = percent;
}

/** The heap growing percent this process set (0: V8's own choice; 'operator': not ours to set). */
export function heapGrowthInForce(): number | 'operator' {
  return operatorChoseGrowth() ? 'operator' : growthInForce;
}

/** What one idle collection gave back. */
export interface IdleCollection {
  rssBefore: number;
  rssAfter: number;
  ms: number;
}

/**
 * Every `intervalMs`, when the process was idle over the whole interval (its event loop busy less
 * than `idleBelow` of the time) and its resident set has grown by `growthBytes` since the last
 * collection, collects the garbage and gives it back (`collectGarbage`). After a burst of
 * publishes V8 keeps the heap the burst grew, and gives it back only when its own memory reducer
 * decides to: measured at 100,000 incidents, a server stayed at 318–321 MiB for the whole minute
 * after 60 publishes where it had come down to 209–234 in other runs. Idle, the pause (120–180 ms
 * measured there) keeps nothing waiting; busy (an outage's updates, a flood of page views), it does not happen.
 */
export function startIdleCollector(
  options: {
    intervalMs?: number;
    growthBytes?: number;
    idleBelow?: number;
    onCollect?: (collection: IdleCollection) => void;
  } = {},
): { stop(): void } {
  const { intervalMs = 10_000, growthBytes = 32 * 2 ** 20, idleBelow = 0.05 } = options;
  let lowest = process.memoryUsage.rss();
  let usage = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const since = performance.eventLoopUtilization(usage);
    usage = performance.eventLoopUtilization();
    const rss = process.memoryUsage.rss();
    lowest = Math.min(lowest, rss);
    if (since.utilization >= idleBelow || rss - lowest < growthBytes) return;
    const started = performance.now();
    collectGarbage();
    lowest = process.memoryUsage.rss();
    // The collection's own time is not the process being busy.
    usage = performance.eventLoopUtilization();
    options.onCollect?.({ rssBefore: rss, rssAfter: lowest, ms: performance.now() - started });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

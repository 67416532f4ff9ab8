import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { trimNativeHeap } from './native-heap.ts';

type Gc = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

let collect: Gc | null | undefined;

/**
 * Runs a full garbage collection now and gives the freed memory back to the system. After a large
 * full export V8 keeps the heap it grew to (hundreds of MiB of garbage at 100,000 incidents) until
 * allocation resumes, and an idle status server allocates little. The function is V8's `gc`,
 * reached through a fresh context once `--expose-gc` is set, in its "last resort" flavour: a plain
 * collection empties the heap but keeps its pages (measured: 736 MiB resident after it, against
 * 72 MiB after this one, for the same garbage). Where the runtime refuses, this does nothing.
 * Then the C heaps' free pages go back too (`trimNativeHeap`).
 */
export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as Gc;
    } catch {
      collect = null;
    }
  }
  collect?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  trimNativeHeap();
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
  if (process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg)))
    return 'operator';
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}

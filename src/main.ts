/**
 * The entry point (`npm start`). It checks the Node.js version before anything else loads, so an
 * unsupported Node stops with one clear line, not with a stack trace from deep in a dependency.
 */
import { boundHeapGrowth } from './lib/gc.ts';
import { limitNativeHeaps } from './lib/native-heap.ts';
import { unsupportedNode } from './lib/node-version.ts';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`herald: cannot start: ${problem}\n`);
  process.exit(1);
}
// Before anything allocates: the heap stays within 1.5× of what is live (see `boundHeapGrowth`).
boundHeapGrowth();
// Before the thread pool's threads first allocate: two C heaps for the process (see limitNativeHeaps).
limitNativeHeaps();
await import('./server.ts');

/**
 * The entry point (`npm start`). It checks the Node.js version before anything else loads, so an
 * unsupported Node stops with one clear line, not with a stack trace from deep in a dependency.
 */
import { unsupportedNode } from './lib/node-version.ts';

const problem = unsupportedNode(process.versions.node);
if (problem) {
  process.stderr.write(`herald: cannot start: ${problem}\n`);
  process.exit(1);
}
await import('./server.ts');

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The arguments `npm start` gives Node (its `start` script without the leading `node`), read
 * from `package.json` in `root`, so that benchmarks and tests start the service exactly as users
 * do, V8 flags included.
 */
export function startArgs(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: { start?: string };
  };
  const [program, ...args] = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (program !== 'node') throw new Error(`the start script does not run node: ${program}`);
  return args;
}

/** `startArgs` without the entry point and its loader: the flags for Node and V8 alone. */
export function startFlags(root: string): string[] {
  const args = startArgs(root);
  const flags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--import') i++;
    else if (args[i]!.startsWith('--')) flags.push(args[i]!);
  }
  return flags;
}

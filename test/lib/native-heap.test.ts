import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, 'fixtures/native-heap.ts');

function run<T>(args: string[], nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    execFile(
      process.execPath,
      [
        '--expose-gc',
        '--disable-warning=ExperimentalWarning',
        ...nodeArgs,
        '--import',
        'tsx',
        script,
        ...args,
      ],
      { timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(stderr || String(error))) : resolve(JSON.parse(stdout) as T),
    ),
  );
}

type Trim = { trimmed: boolean; beforeMiB: number; afterMiB: number; ms: number };

// The suite runs on the Node 26 that npm install brings on linux-x64 (test/e2e/runtime.test.ts):
// there node:ffi and glibc are at hand.
describe.runIf(process.platform === 'linux')('the C heaps', () => {
  it('give their free pages back to the system when trimmed', async () => {
    const trimmed = await run<Trim>(['trim']);
    expect(trimmed.trimmed).toBe(true);
    // About 190 MiB of the 200 scattered were freed; glibc kept them resident until the trim.
    expect(trimmed.beforeMiB - trimmed.afterMiB).toBeGreaterThan(100);
  });

  it('are left alone, and say so, where node:ffi is switched off', async () => {
    const untouched = await run<Trim>(['trim'], ['--no-experimental-ffi']);
    expect(untouched.trimmed).toBe(false);
    // The same free pages stay resident: the first test's drop is the trim's doing.
    expect(untouched.beforeMiB - untouched.afterMiB).toBeLessThan(20);
  });

  it('stay at the number set before threads allocate, where glibc gives each thread its own', async () => {
    const free = await run<{ limited: null; heaps: number }>(['threads']);
    const limited = await run<{ limited: boolean; heaps: number }>(['threads', 'limit']);
    expect(limited.limited).toBe(true);
    // Four worker threads holding 8 MiB each: a heap apiece by default, none more when capped (the
    // heaps of threads that allocated before the cap remain).
    expect(free.heaps).toBeGreaterThanOrEqual(limited.heaps + 4);
  });

  it("leave the operator's own MALLOC_ARENA_MAX in force", async () => {
    const operator = await run<{ limited: string; heaps: number }>(['threads', 'limit'], [], {
      MALLOC_ARENA_MAX: '8',
    });
    expect(operator.limited).toBe('operator');
  });
});

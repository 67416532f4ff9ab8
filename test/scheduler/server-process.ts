import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/harness.ts';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
export const FAST_CONTENT = join(REPO_ROOT, 'test/fixtures/content-fast');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Every line the server wrote to stdout and stderr. */
  output: string[];
  request(method: string, path: string, body?: unknown): Promise<Response>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no clean-up at all, as in a crash. */
  kill(): Promise<void>;
}

/**
 * Starts the real server (`src/main.ts`) as its own process on a free port. Node runs TypeScript
 * through the tsx loader in the same process (`node --import tsx`), so SIGKILL kills the server
 * itself and not just a wrapper.
 */
export async function startServer(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HERALD_DATA_DIR: dataDir,
      HERALD_CONTENT_DIR: FAST_CONTENT,
      HERALD_ADMIN_TOKEN: ADMIN_TOKEN,
      HERALD_TICK_MS: '200',
      PORT: '0',
      HOST: '127.0.0.1',
      SITE_URL: 'https://status.example.test',
      EMAIL_FROM: 'Herald <status@acme.example>',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${output.join('\n')}`)),
      30_000,
    );
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        output.push(line);
        const match = /"msg":"listening","url":"(http:\/\/[^"]+)"/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    child,
    output,
    request: (method, path, body) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns true, or fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

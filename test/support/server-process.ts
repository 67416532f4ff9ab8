import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startArgs } from '../../src/lib/start-command.ts';
import { REPO_ROOT } from './harness.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  dataDir: string;
  token: string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  api(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** Resolves when the publisher has published at least once and has nothing pending. */
  published(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServerOptions {
  dataDir?: string;
  env?: Record<string, string>;
  port?: number;
}

/**
 * Starts the real server (as `npm start` runs it) as a child process on a free port and waits until
 * `/healthz` answers. Pass `dataDir` to reuse a database; `env` adds or overrides variables.
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const server = await launchServer(options);
  await server.healthy();
  return server;
}

/**
 * Starts the real server like `startServer`, but returns at once, before the port accepts
 * connections: for tests that watch what the server answers from its very first connection.
 */
export async function launchServer(
  options: ServerOptions = {},
): Promise<ServerProcess & { healthy(): Promise<void> }> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'herald-e2e-'));
  const token = options.env?.HERALD_ADMIN_TOKEN ?? 'e2e-admin-token-0123456789';
  // `npm start`'s own command line, run directly (not through npm, whose process a SIGKILL would
  // leave the server orphaned behind): signals reach the server itself.
  const child = spawn(process.execPath, startArgs(REPO_ROOT), {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      HERALD_DATA_DIR: dataDir,
      HERALD_ADMIN_TOKEN: token,
      RESEND_API_KEY: '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    async healthy() {
      // The first start on a fresh checkout also builds the Astro site (about 10 s, more when busy).
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (ended) throw new Error(`server exited during start-up:\n${err}\n${out}`);
        try {
          const res = await fetch(`${url}/healthz`);
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`server did not become healthy within 120 s:\n${err}\n${out}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    child,
    url,
    port,
    dataDir,
    token,
    stdout: () => out,
    stderr: () => err,
    exited,
    api(method, path, body, headers = {}) {
      return fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    },
    async published() {
      for (;;) {
        const health = (await (await fetch(`${url}/healthz`)).json()) as {
          publisher?: { ready: boolean; pending: number };
        };
        if (health.publisher?.ready && health.publisher.pending === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (!ended) child.kill(signal);
      return exited;
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

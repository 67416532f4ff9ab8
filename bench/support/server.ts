import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startArgs } from '../../src/lib/start-command.ts';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const HOST = '127.0.0.1';

export interface StartOptions {
  /** Extra node flags for the server process, e.g. `['--cpu-prof']` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** How long to wait for `/healthz`. */
  readyTimeoutMs?: number;
  /** Extra environment variables for the server (a provider stand-in, rates). */
  env?: Record<string, string>;
}

/** A real Herald server in its own process, on a free port, with a fresh data directory. */
export interface RunningServer {
  baseUrl: string;
  adminToken: string;
  dataDir: string;
  pid: number;
  /** JSON over HTTP with the admin key; throws on anything but the expected status. */
  request<T>(method: string, path: string, body?: unknown, expect?: number): Promise<T>;
  /** SIGTERM, wait for a clean exit (SIGKILL after `graceMs`), then remove the data directory. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: string | null }>;
  /** The last lines the server wrote (its request log), for error reports. */
  logTail(lines?: number): string;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `src/main.ts` as `npm start` does (its script's Node arguments), with its stdout (one JSON
 * line per request) and stderr going to a file in the data directory, never through this process.
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const logPath = join(dataDir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const port = await freePort();
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const baseUrl = `http://${HOST}:${port}`;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...startArgs(REPO_ROOT)], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST,
      HERALD_DATA_DIR: dataDir,
      HERALD_ADMIN_TOKEN: adminToken,
      DATABASE_URL: '',
      SITE_URL: '',
      ...options.env,
    },
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const exited = new Promise<{ code: number | null; signal: string | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const logTail = (lines = 20) => {
    try {
      return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  };

  const stop = async (graceMs = 15_000) => {
    if (!hasExited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const outcome = await exited;
    clearTimeout(timer);
    rmSync(dataDir, { recursive: true, force: true });
    return outcome;
  };

  const request = async <T>(method: string, path: string, body?: unknown, expect = 200) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== expect) {
      throw new Error(`${method} ${path}: expected ${expect}, got ${response.status}: ${text}`);
    }
    return JSON.parse(text) as T;
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited) {
      const tail = logTail();
      await stop();
      throw new Error(`the server exited during start-up:\n${tail}`);
    }
    try {
      const health = await fetch(`${baseUrl}/healthz`);
      if (health.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`the server did not answer /healthz in time:\n${tail}`);
    }
    await sleep(100);
  }

  return { baseUrl, adminToken, dataDir, pid: child.pid!, request, stop, logTail };
}

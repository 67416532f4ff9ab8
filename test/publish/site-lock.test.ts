import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { historyIndexPath } from '../../src/publish/history-index.ts';
import { acquireSiteLock, siteLockPath, SiteLockedError } from '../../src/publish/site-lock.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';

const dirs: string[] = [];
let server: ServerProcess | undefined;
let second: ServerProcess | undefined;

async function publisherHealth(target: ServerProcess): Promise<Record<string, unknown>> {
  const res = await fetch(`${target.url}/healthz`);
  return ((await res.json()) as { publisher: Record<string, unknown> }).publisher;
}

afterAll(async () => {
  await server?.stop();
  await second?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-lock-'));
  dirs.push(dir);
  return dir;
}

/** `npm run build:site` against a data directory, as an operator would run it. */
function buildSite(dataDir: string, token: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/publish/build-site.ts')],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, HERALD_DATA_DIR: dataDir, HERALD_ADMIN_TOKEN: token },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the site lock', () => {
  it('lets one holder publish into a site directory at a time', () => {
    const siteDir = join(tempDir(), 'site');
    const lock = acquireSiteLock(siteDir);
    expect(() => acquireSiteLock(siteDir)).toThrow(SiteLockedError);
    lock.release();
    acquireSiteLock(siteDir).release();
    expect(existsSync(siteLockPath(siteDir))).toBe(false);
  });

  it('takes over a lock left by a process that has ended', () => {
    const siteDir = join(tempDir(), 'site');
    const ended = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(ended.stdout.toString());
    mkdirSync(siteLockPath(siteDir), { recursive: true });
    writeFileSync(join(siteLockPath(siteDir), 'owner'), `${deadPid}\n`);
    const lock = acquireSiteLock(siteDir);
    expect(lock.path).toBe(siteLockPath(siteDir));
    lock.release();
  });

  it('makes build:site refuse while a server publishes the same directory, and run once it stopped', async () => {
    server = await startServer();
    await server.published();
    const index = historyIndexPath(join(server.dataDir, 'site'));
    const made = statSync(index).ino;
    const refused = await buildSite(server.dataDir, server.token);
    expect(refused.code).toBe(1);
    // Refused before it read anything: the server's index of the history is untouched.
    expect(statSync(index).ino).toBe(made);
    expect(refused.stderr).toContain('build:site refused');
    expect(refused.stderr).toContain(`process ${server.child.pid}`);
    expect(refused.stdout).not.toContain('exported');
    const { dataDir, token } = server;
    await server.stop();
    server = undefined;
    const done = await buildSite(dataDir, token);
    expect(done.stderr).not.toContain('refused');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('exported');
    // Its own index went with it.
    expect(existsSync(index)).toBe(false);
  }, 180_000);

  it('puts a second server on the same directory on standby until the first one stops', async () => {
    server = await startServer();
    await server.published();
    // The publisher's index of the history sits beside the site, private to its owner.
    const index = historyIndexPath(join(server.dataDir, 'site'));
    expect(statSync(index).mode & 0o777).toBe(0o600);
    const made = statSync(index).ino;
    second = await startServer({ dataDir: server.dataDir });
    expect(await publisherHealth(second)).toMatchObject({ standby: true, ready: false });
    // A server on standby leaves the publishing one's index alone.
    expect(statSync(index).ino).toBe(made);
    // The first server's whole site is on disk: the standby serves it and is ready for traffic,
    // and an unknown address is a plain 404 there too, not a wait for an export it will not run.
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${second.url}/`)).status).toBe(200);
    expect((await fetch(`${second.url}/nowhere/`)).status).toBe(404);
    await server.stop();
    server = undefined;
    await expect
      .poll(() => publisherHealth(second!), { timeout: 60_000, interval: 200 })
      .toMatchObject({ standby: false, ready: true });
    const refused = await buildSite(second.dataDir, second.token);
    expect(refused.stderr).toContain(`process ${second.child.pid}`);
    // The one that took over built its own; stopping deletes it.
    expect(existsSync(index)).toBe(true);
    await second.stop();
    second = undefined;
    expect(existsSync(index)).toBe(false);
  }, 180_000);
});

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AstroMiddleware } from './astro-handler.ts';

/** Everything the server build is made from; a change to any of it needs a new build. */
const SOURCES = [
  'astro.config.mjs',
  // The installed versions of Astro, its adapter and everything they compile with.
  'package-lock.json',
  'src/pages',
  'src/components',
  'src/layouts',
  'src/publish',
  'src/domain',
  'src/config',
];
const LOCK_STALE_MS = 180_000;
/**
 * Written into a build directory once `astro build` has finished: a build cut short (killed, out
 * of disk) leaves files but no marker, and is built again instead of being loaded. (Astro bakes
 * the output directory's absolute path into the build, so it is built in place, not renamed.)
 */
const COMPLETE_MARKER = '.herald-build-complete';

async function listFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => null);
  if (!info) return [];
  if (info.isFile()) return [path];
  const entries = await readdir(path, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => listFiles(join(path, e.name))));
  return nested.flat();
}

/** A short hash of the sources and the Astro version: the build's name. */
export async function sourceHash(root: string): Promise<string> {
  const files = (await Promise.all(SOURCES.map((s) => listFiles(join(root, s))))).flat().sort();
  const hash = createHash('sha256');
  const require = createRequire(join(root, 'package.json'));
  hash.update((require('astro/package.json') as { version: string }).version);
  for (const file of files) {
    hash.update(relative(root, file));
    hash.update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 12);
}

async function withLock<T>(lockDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(join(lockDir, '..'), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch {
      const info = await stat(lockDir).catch(() => null);
      if (info && Date.now() - info.mtimeMs > LOCK_STALE_MS)
        await rm(lockDir, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/** The installed Astro's command-line script, as its `package.json` names it. */
export function astroCli(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  const manifest = require.resolve('astro/package.json');
  const { bin } = require(manifest) as { bin: { astro: string } };
  return join(manifest, '..', bin.astro);
}

function runAstroBuild(root: string, outDir: string): Promise<void> {
  const cli = astroCli(root);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'build', '--silent', '--outDir', outDir], {
      cwd: root,
      // Astro's telemetry would call another host; the build must work offline.
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`astro build failed (exit ${code}):\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * The directory of an up-to-date server build, building it when the sources changed. Builds are
 * named by their source hash and never overwritten, so a running process keeps loading its own
 * chunks; a lock keeps parallel processes (test workers) from building the same thing twice.
 */
export async function ensureServerBuild(
  root: string,
  log?: (line: Record<string, unknown>) => void,
): Promise<string> {
  const hash = await sourceHash(root);
  const base = join(root, 'dist');
  const outDir = join(base, `site-${hash}`);
  const complete = join(outDir, COMPLETE_MARKER);
  if (existsSync(complete)) return outDir;
  await withLock(join(root, '.astro', 'herald-build.lock'), async () => {
    if (existsSync(complete)) return;
    const started = Date.now();
    log?.({
      level: 'info',
      msg: 'building the status site renderer (astro build)',
      out_dir: outDir,
    });
    await rm(outDir, { recursive: true, force: true });
    await runAstroBuild(root, outDir);
    await writeFile(complete, `${new Date().toISOString()}\n`);
    log?.({ level: 'info', msg: 'status site renderer built', ms: Date.now() - started });
    // Keep the two newest builds; older ones belong to sources that no longer exist.
    const builds = (await readdir(base)).filter(
      (d) => d.startsWith('site-') && d !== `site-${hash}`,
    );
    const dated = await Promise.all(
      builds.map(async (d) => ({ d, t: (await stat(join(base, d))).mtimeMs })),
    );
    for (const { d } of dated.sort((a, b) => b.t - a.t).slice(1))
      await rm(join(base, d), { recursive: true, force: true });
  });
  return outDir;
}

/** Imports the middleware handler of a server build. */
export async function loadAstroHandler(outDir: string): Promise<AstroMiddleware> {
  const module = (await import(pathToFileURL(join(outDir, 'server', 'entry.mjs')).href)) as {
    handler: AstroMiddleware;
  };
  return module.handler;
}

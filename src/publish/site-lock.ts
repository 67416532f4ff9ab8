import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How long a lock directory without its owner file counts as being created, not abandoned. */
const CREATING_GRACE_MS = 10_000;

export class SiteLockedError extends Error {
  constructor(
    readonly siteDir: string,
    readonly pid: number,
  ) {
    super(
      `${siteDir} is being published by process ${pid} (a running Herald server?). ` +
        'It keeps the site current on its own; stop it before exporting into the same directory.',
    );
    this.name = 'SiteLockedError';
  }
}

export interface SiteLock {
  readonly path: string;
  release(): void;
}

/** The lock sits beside the site (never inside it, where it would be published or pruned). */
export function siteLockPath(siteDir: string): string {
  return `${siteDir.replace(/[\\/]+$/, '')}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(path, 'owner'), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the exclusive right to publish into `siteDir`: only one process (the server, or
 * `npm run build:site`) may write it, or an export from a stale snapshot could bring back a page
 * the other process just withdrew. `mkdir` is the atomic step; the owner's pid inside lets a lock
 * left by a crashed process be recognised and taken over. Throws `SiteLockedError` while a live
 * process holds it.
 */
export function acquireSiteLock(siteDir: string): SiteLock {
  const path = siteLockPath(siteDir);
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'owner'), `${process.pid}\n`);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (ownerOf(path) === process.pid) rmSync(path, { recursive: true, force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = ownerOf(path);
    if (owner === null) {
      const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < CREATING_GRACE_MS) throw new SiteLockedError(siteDir, 0);
    } else if (owner === process.pid || isAlive(owner)) {
      throw new SiteLockedError(siteDir, owner);
    }
    // Abandoned: move it aside first (atomic), so two processes cannot both remove a fresh lock.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
      rmSync(aside, { recursive: true, force: true });
    } catch {
      // Someone else took it over first; try again.
    }
  }
  throw new SiteLockedError(siteDir, ownerOf(path) ?? 0);
}

import { statSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ENCODINGS, siblingsOf } from '../publish/write.ts';
import type { Encoding } from './negotiate.ts';

/** Files up to this size are kept in memory; larger ones are streamed from disk on each request. */
export const CACHED_FILE_BYTES = 256 * 1024;

/** What the cache may hold in all (plain and compressed bytes); the least recently used goes first. */
const DEFAULT_BUDGET_BYTES = 64 * 1024 * 1024;

/** One version of a file as sent in one encoding. */
export interface CachedVariant {
  encoding: Encoding;
  body: Buffer<ArrayBuffer>;
}

/** A published file in memory: the plain bytes and its compressed siblings of the same version. */
export interface CachedFile {
  /** The identity of the plain file this was read from: a rename over it changes the inode. */
  ino: number;
  size: number;
  mtimeMs: number;
  variants: Partial<Record<Encoding, CachedVariant>>;
  bytes: number;
}

/**
 * The published site's small files in memory, so that the status page under outage traffic is
 * sent without touching the disk. Every use checks the file's identity with one `stat` (inode,
 * size, modification time): the publisher renames a new version over the old one, so a changed
 * file is read again at once, a removed one is dropped at once, and the reader always gets one
 * version whole, exactly as when reading from disk. Bounded by a byte budget, least recently used
 * first out, so memory does not grow with the site's history.
 */
export class FileCache {
  private readonly files = new Map<string, CachedFile>();
  private bytes = 0;

  constructor(private readonly budgetBytes = DEFAULT_BUDGET_BYTES) {}

  /** The cached file at `path` if it is still the one on disk, else undefined (and dropped). */
  fresh(path: string): CachedFile | undefined {
    const entry = this.files.get(path);
    if (!entry) return undefined;
    const stats = statSync(path, { throwIfNoEntry: false });
    if (
      !stats ||
      stats.ino !== entry.ino ||
      stats.size !== entry.size ||
      stats.mtimeMs !== entry.mtimeMs
    ) {
      this.drop(path);
      return undefined;
    }
    // Most recently used last: the map's order is the eviction order.
    this.files.delete(path);
    this.files.set(path, entry);
    return entry;
  }

  /**
   * Reads the regular file open as `handle` (`stats` from that handle) and the compressed
   * siblings of the same version, and keeps them. A sibling whose modification time differs
   * belongs to another version (the publisher is between renames) and is left out.
   */
  async load(path: string, handle: FileHandle, stats: Stats): Promise<CachedFile> {
    const plain = await handle.readFile();
    const entry: CachedFile = {
      ino: stats.ino,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      variants: { identity: { encoding: 'identity', body: plain } },
      bytes: plain.length,
    };
    if (siblingsOf(path).length > 0) {
      for (const { name, suffix } of ENCODINGS) {
        const sibling = await readIfVersion(`${path}${suffix}`, stats.mtimeMs);
        if (!sibling) continue;
        entry.variants[name] = { encoding: name, body: sibling };
        entry.bytes += sibling.length;
      }
    }
    this.keep(path, entry);
    return entry;
  }

  stats(): { files: number; bytes: number } {
    return { files: this.files.size, bytes: this.bytes };
  }

  private keep(path: string, entry: CachedFile): void {
    this.drop(path);
    if (entry.bytes > this.budgetBytes) return;
    this.files.set(path, entry);
    this.bytes += entry.bytes;
    for (const [oldest, old] of this.files) {
      if (this.bytes <= this.budgetBytes) break;
      this.files.delete(oldest);
      this.bytes -= old.bytes;
    }
  }

  private drop(path: string): void {
    const entry = this.files.get(path);
    if (!entry) return;
    this.files.delete(path);
    this.bytes -= entry.bytes;
  }
}

/** The file's bytes, read from one open handle, if its modification time is `mtimeMs`. */
async function readIfVersion(path: string, mtimeMs: number): Promise<Buffer<ArrayBuffer> | null> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return null;
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.mtimeMs !== mtimeMs) return null;
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

import { readFileSync, statSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants, gzip, gzipSync } from 'node:zlib';
import { writeAtomic, writeAtomicGroup } from '../storage/files.ts';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** The encodings every text file is also published in, as `<file>.br` and `<file>.gz`. */
export const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

/** Files worth compressing: everything the site publishes except images that are compressed. */
const COMPRESSIBLE = /\.(html|xml|json|svg|rss|atom|ics|txt|css|js)$/;

/** The compressed siblings a published file has (none for a file that is not text). */
export function siblingsOf(file: string): string[] {
  return COMPRESSIBLE.test(file) ? ENCODINGS.map((e) => `${file}${e.suffix}`) : [];
}

/**
 * Bodies up to this size are compressed on the calling thread. Node's asynchronous zlib costs
 * about 0.8 ms of overhead per file here (measured: brotli + gzip of a 7 KB page, 0.14 ms
 * synchronous against 0.99 ms asynchronous, 8 at a time), several times the compression itself;
 * a page this size (an incident page, most of a full export) holds the event loop about 0.3 ms.
 * Larger bodies (the index, component pages, feeds, history) go to the thread pool, so requests
 * never wait behind several of them compressed back to back.
 */
const COMPRESS_INLINE_BYTES = 16 * 1024;

/**
 * The smallest window (in bits, within the format's `min`–`max`) that holds the whole body: the
 * output is then as small as with the largest window, since no reference reaches further back than
 * the body's start, and the compressor allocates for this window, not the largest. Brotli's default
 * window (4 MiB, with its hash tables) was allocated and paged in for every 7 KB page: measured in
 * a 100,000-incident export, native memory the allocator kept (over 120 MiB after the export).
 */
export function windowBits(bytes: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(Math.log2(bytes))));
}

/** How far short of its size each format's window reaches back (RFC 7932 §9.1; zlib's deflate). */
const BROTLI_WINDOW_GAP = 16;
const DEFLATE_WINDOW_GAP = 262;

function brotliOptions(body: Buffer) {
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 4,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      [constants.BROTLI_PARAM_LGWIN]: windowBits(
        body.length + BROTLI_WINDOW_GAP,
        constants.BROTLI_MIN_WINDOW_BITS,
        constants.BROTLI_DEFAULT_WINDOW,
      ),
    },
  };
}

function gzipOptions(body: Buffer) {
  return {
    level: 6,
    windowBits: windowBits(body.length + DEFLATE_WINDOW_GAP, 9, constants.Z_MAX_WINDOWBITS),
  };
}

/**
 * The `.br` and `.gz` versions of a body: compressed on the calling thread when small or when
 * `onThisThread`, else on the thread pool.
 */
export async function compressed(body: Buffer, onThisThread = false): Promise<[Buffer, Buffer]> {
  if (onThisThread || body.length <= COMPRESS_INLINE_BYTES)
    return [brotliCompressSync(body, brotliOptions(body)), gzipSync(body, gzipOptions(body))];
  return Promise.all([brotli(body, brotliOptions(body)), gzipped(body, gzipOptions(body))]);
}

export interface WriteOptions {
  /** Written even when the file already holds `body`. */
  rewrite?: boolean;
  /**
   * Every body compressed on the calling thread, the large ones too: where nothing waits on this
   * thread's event loop (the writer thread), and in a full export, whose large files are a few
   * hundred of its routes. Compressed on the thread pool, they left each pool thread's allocator
   * arena holding the memory it had freed: at 100,000 incidents, the server's large anonymous
   * mappings (the arenas, with V8's large objects) came to 79 MiB after its start-up export, and
   * to 50 MiB with this.
   */
  syncCompress?: boolean;
}

/**
 * Writes a published file and its `.br` and `.gz` siblings, each atomically, all with one
 * modification time: the server sends a sibling only when its time is the plain file's, so a
 * reader never gets a compressed file of another version than the plain one. All three are written
 * before any is renamed into place, siblings first, the plain file last. Brotli at quality 4
 * compresses to within about 20 % of quality 11 (measured on the index, an incident page and the
 * feed), at a hundredth of the time or less: publishing stays within its latency budget.
 */
export async function writePublished(
  siteDir: string,
  file: string,
  body: Buffer,
  options: WriteOptions = {},
): Promise<void> {
  if (!options.rewrite && unchanged(siteDir, file, body)) return;
  if (!COMPRESSIBLE.test(file)) return writeAtomic(siteDir, file, body);
  const [br, gz] = await compressed(body, options.syncCompress ?? false);
  await writeAtomicGroup(
    siteDir,
    [
      { file: `${file}.br`, data: br },
      { file: `${file}.gz`, data: gz },
      { file, data: body },
    ],
    new Date(),
  );
}

/**
 * Whether `file` already holds exactly `body`, with both compressed versions of that same
 * version (same modification time) beside it: then nothing is written, compressed or renamed. A
 * full export at start-up renders every route again, and most come out as they were; writing them
 * anyway cost three new files each (and, on a file system mounted with `discard`, a slow rename
 * over each old one), and gave every reader new validators for the same bytes.
 */
export function unchanged(siteDir: string, file: string, body: Buffer): boolean {
  const path = join(siteDir, file);
  const plain = statSync(path, { throwIfNoEntry: false });
  if (!plain?.isFile() || plain.size !== body.length) return false;
  for (const sibling of siblingsOf(file)) {
    const compressed = statSync(join(siteDir, sibling), { throwIfNoEntry: false });
    if (compressed?.mtimeMs !== plain.mtimeMs) return false;
  }
  return readFileSync(path).equals(body);
}

/**
 * Removes a published file, then its compressed siblings (the server sends nothing, in any
 * encoding, for a file whose plain version is gone), then the directory it leaves empty (an
 * incident's own folder).
 */
export async function removePublished(siteDir: string, file: string): Promise<void> {
  const target = join(siteDir, file);
  await rm(target, { force: true });
  for (const sibling of siblingsOf(file)) await rm(join(siteDir, sibling), { force: true });
  const dir = dirname(target);
  if (dir !== siteDir) await rmdir(dir).catch(() => undefined);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const nested = await Promise.all(
    entries.map((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : Promise.resolve([join(dir, e.name)]),
    ),
  );
  return nested.flat();
}

/**
 * Every file under a directory (none when it does not exist), as paths relative to it with `/`
 * separators.
 */
export async function listPublished(siteDir: string): Promise<string[]> {
  return (await walk(siteDir)).map((path) => relative(siteDir, path).split(sep).join('/'));
}

/** Whether `file` is one of `keep` or a compressed sibling of one. */
function isKept(keep: ReadonlySet<string>, file: string): boolean {
  if (keep.has(file)) return true;
  return ENCODINGS.some((e) => {
    if (!file.endsWith(e.suffix)) return false;
    const plain = file.slice(0, -e.suffix.length);
    return keep.has(plain) && siblingsOf(plain).length > 0;
  });
}

/**
 * Deletes every file that is not part of the site just exported (a page of an incident that went
 * private while the server was down, leftovers of a crash), then the directories left empty. It
 * walks one directory at a time: a site of 100,000 incidents is never listed whole in memory.
 */
export async function pruneSite(siteDir: string, keep: ReadonlySet<string>): Promise<number> {
  let removed = 0;
  const visit = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const gone = new Set<string>();
    for (const entry of entries) {
      const file = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        await visit(join(dir, entry.name), `${file}/`);
        continue;
      }
      if (gone.has(file) || isKept(keep, file)) continue;
      await removePublished(siteDir, file);
      for (const sibling of siblingsOf(file)) gone.add(sibling);
      removed++;
    }
  };
  await visit(siteDir, '');
  return removed;
}

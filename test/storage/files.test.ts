import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listPublished } from '../../src/publish/write.ts';
import { writeAtomicGroup } from '../../src/storage/files.ts';

/** Every file under `dir`, relative, sorted. */
const filesUnder = async (dir: string) => (await listPublished(dir)).sort();

// A small group goes through synchronous calls, a large one through the thread pool: both alike.
describe.each([
  ['small', 1_000],
  ['large', 100_000],
])('writeAtomicGroup, %s files', (_, size) => {
  const body = (c: string) => Buffer.alloc(size, c);

  it('writes every file whole with one modification time, making missing directories', async () => {
    const root = mkdtempSync(join(tmpdir(), 'herald-files-'));
    const mtime = new Date('2026-11-27T10:00:00.000Z');
    await writeAtomicGroup(
      root,
      [
        { file: 'a/b/page.html.br', data: body('b') },
        { file: 'a/b/page.html', data: body('p') },
        { file: 'top.txt', data: 'x'.repeat(size) },
      ],
      mtime,
    );
    expect(await filesUnder(root)).toEqual(['a/b/page.html', 'a/b/page.html.br', 'top.txt']);
    expect(readFileSync(join(root, 'a/b/page.html'))).toEqual(body('p'));
    expect(readFileSync(join(root, 'top.txt'), 'utf8')).toBe('x'.repeat(size));
    for (const file of await filesUnder(root))
      expect(statSync(join(root, file)).mtimeMs).toBe(mtime.getTime());
    // Again over the same files: replaced, nothing left beside them.
    await writeAtomicGroup(root, [{ file: 'a/b/page.html', data: body('q') }]);
    expect(readFileSync(join(root, 'a/b/page.html'))).toEqual(body('q'));
    expect(await filesUnder(root)).toEqual(['a/b/page.html', 'a/b/page.html.br', 'top.txt']);
  });

  it('leaves no temporary file and rejects when a file cannot take its place', async () => {
    const root = mkdtempSync(join(tmpdir(), 'herald-files-'));
    mkdirSync(join(root, 'dir/page.html'), { recursive: true }); // a directory where a file goes
    await expect(
      writeAtomicGroup(root, [
        { file: 'dir/page.html.gz', data: body('g') },
        { file: 'dir/page.html', data: body('p') },
      ]),
    ).rejects.toThrow();
    expect((await filesUnder(root)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressed, windowBits, writePublished } from '../../src/publish/write.ts';

/** Inode and modification time of a file: both change when it is written anew. */
const identity = (path: string) => {
  const s = statSync(path);
  return `${s.ino}/${s.mtimeMs}`;
};

describe('writePublished', () => {
  it('leaves a file that already holds the same bytes, with its compressed versions, alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-write-'));
    const page = (text: string) => Buffer.from(`<!doctype html><p>${text}</p>`.repeat(20));
    const files = ['p/index.html', 'p/index.html.br', 'p/index.html.gz'].map((f) => join(dir, f));
    await writePublished(dir, 'p/index.html', page('one'));
    const first = files.map(identity);
    await new Promise((r) => setTimeout(r, 20)); // a rewrite would get a later time

    // The same bytes: nothing written.
    await writePublished(dir, 'p/index.html', page('one'));
    expect(files.map(identity)).toEqual(first);

    // Other bytes: all three written, the compressed ones of the new version.
    await writePublished(dir, 'p/index.html', page('two'));
    const second = files.map(identity);
    for (const [k, id] of second.entries()) expect(id).not.toBe(first[k]);
    expect(brotliDecompressSync(readFileSync(files[1]!))).toEqual(page('two'));
    expect(gunzipSync(readFileSync(files[2]!))).toEqual(page('two'));

    // The same bytes but a compressed version missing, or of another version: written again.
    rmSync(files[2]!);
    await writePublished(dir, 'p/index.html', page('two'));
    expect(gunzipSync(readFileSync(files[2]!))).toEqual(page('two'));
    writeFileSync(files[1]!, 'stale');
    await writePublished(dir, 'p/index.html', page('two'));
    expect(brotliDecompressSync(readFileSync(files[1]!))).toEqual(page('two'));
    const mtimes = files.map((f) => statSync(f).mtimeMs);
    expect(new Set(mtimes).size).toBe(1);
  });
});

describe('compressed', () => {
  it('sizes the window to the body, and compresses as well as the largest window does', async () => {
    expect(windowBits(7445, 10, 22)).toBe(13);
    expect(windowBits(8192, 10, 22)).toBe(13);
    expect(windowBits(8193, 10, 22)).toBe(14);
    expect(windowBits(0, 10, 22)).toBe(10);
    expect(windowBits(50_000_000, 10, 22)).toBe(22);
    // A page-sized body with repeats far apart: everything it refers back to lies in the body.
    const row = (i: number) =>
      `<li class="incident"><a href="/incidents/${i % 97}/">Elevated errors ${i}</a></li>`;
    for (const count of [60, 600]) {
      const body = Buffer.from(Array.from({ length: count }, (_, i) => row(i)).join('\n'));
      const [br, gz] = await compressed(body);
      expect(brotliDecompressSync(br).equals(body)).toBe(true);
      expect(gunzipSync(gz).equals(body)).toBe(true);
      const widest = brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 4,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        },
      });
      expect(br.length).toBeLessThanOrEqual(widest.length + 8);
    }
  });

  it('compresses a large body on the calling thread when asked, to the same bytes as the pool', async () => {
    const body = Buffer.from(
      Array.from({ length: 2000 }, (_, i) => `<p>Update ${i} of many.</p>`).join('\n'),
    );
    expect(body.length).toBeGreaterThan(16 * 1024);
    // On the pool, the answer comes back through the event loop: a turn of it passes first.
    const turned = () =>
      new Promise<() => boolean>((resolve) => {
        let passed = false;
        setImmediate(() => (passed = true));
        resolve(() => passed);
      });
    let passed = await turned();
    const onPool = await compressed(body);
    expect(passed()).toBe(true);
    passed = await turned();
    const inline = await compressed(body, true);
    expect(passed()).toBe(false);
    expect(inline[0].equals(onPool[0])).toBe(true);
    expect(inline[1].equals(onPool[1])).toBe(true);
    expect(brotliDecompressSync(inline[0]).equals(body)).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureServerBuild, sourceHash } from '../../src/publish/astro-build.ts';
import { REPO_ROOT } from '../support/harness.ts';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A tiny project using this repository's installed Astro, with an `astro.config.mjs` given. */
function project(config: string): string {
  const root = mkdtempSync(join(tmpdir(), 'herald-astro-build-'));
  roots.push(root);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  writeFileSync(join(root, 'package.json'), '{"name":"probe","type":"module"}');
  writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
  writeFileSync(join(root, 'astro.config.mjs'), config);
  mkdirSync(join(root, 'src/pages'), { recursive: true });
  writeFileSync(join(root, 'src/pages/index.astro'), '<p>probe</p>');
  return root;
}

describe('the server build', () => {
  it('is rebuilt when package-lock.json changes (new Astro or adapter versions)', async () => {
    const root = project('export default {};');
    const before = await sourceHash(root);
    writeFileSync(join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{"x":{}}}');
    expect(await sourceHash(root)).not.toBe(before);
  });

  it('is never loaded from a directory whose build did not finish', async () => {
    // This config makes `astro build` fail, so a build attempt shows up as an error.
    const root = project("throw new Error('no build here');");
    const outDir = join(root, 'dist', `site-${await sourceHash(root)}`);
    // What a build killed half-way leaves behind: the entry point, but not the whole build.
    mkdirSync(join(outDir, 'server'), { recursive: true });
    writeFileSync(join(outDir, 'server', 'entry.mjs'), 'export const handler = null;');
    await expect(ensureServerBuild(root)).rejects.toThrow(/astro build failed/);
  }, 120_000);
});

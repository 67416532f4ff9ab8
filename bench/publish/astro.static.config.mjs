// The benchmark's comparison (c): the same pages built by a plain static `astro build`, with the
// data read at build time from the snapshot named by HERALD_STATIC_SNAPSHOT.
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';

export default defineConfig({
  root: fileURLToPath(new globalThis.URL('../../', import.meta.url)),
  output: 'static',
  outDir: process.env.HERALD_STATIC_OUT ?? 'dist/static-bench',
  trailingSlash: 'ignore',
  build: { inlineStylesheets: 'never', format: 'directory' },
  compressHTML: true,
  devToolbar: { enabled: false },
});

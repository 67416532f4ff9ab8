// The status site's Astro build. The publisher renders every route in-process through this
// server build (`@astrojs/node` in middleware mode) and writes the results as static files, so a
// change reaches the site in milliseconds instead of a whole `astro build`.
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'middleware' }),
  // Pages are written to disk as `route/index.html`; links always use the trailing slash.
  trailingSlash: 'ignore',
  build: { inlineStylesheets: 'always' },
  compressHTML: true,
  devToolbar: { enabled: false },
  // Rendering never needs client-side JavaScript; nothing is fetched from another host.
  prefetch: false,
});

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
  // Stylesheets are files of their own (`/_astro/*.css`, named by their hash): pages stay small
  // (an incident page 24 KB → 7 KB), and a browser keeps the styles across pages.
  build: { inlineStylesheets: 'never' },
  compressHTML: true,
  devToolbar: { enabled: false },
  // Rendering never needs client-side JavaScript; nothing is fetched from another host.
  prefetch: false,
});

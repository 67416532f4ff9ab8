import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './site-script.ts';

export { PAGE_SCRIPT };

/**
 * Where the page script is published: a file of its own, named by its content's hash, so every
 * page links the same few kilobytes that a browser keeps (`immutable`) instead of carrying them.
 */
export const PAGE_SCRIPT_FILE = `assets/page-${createHash('sha256').update(PAGE_SCRIPT).digest('hex').slice(0, 12)}.js`;

/**
 * A strict policy, delivered as a `<meta>` so it travels with the files to any static host: only
 * scripts from the site itself run (there is one, the page script), it fetches only from the site
 * itself, nothing loads from another host, and no inline script runs, so even an attribute that
 * slipped past escaping could not run an inline event handler. Style attributes are allowed
 * (`--level` custom properties on uptime bars); the stylesheets are the site's own files.
 */
export function contentSecurityPolicy(apiUrl: string | null): string {
  // The subscribe forms post to the API, which may live on another origin than the site's copy.
  const formTargets = apiUrl ? `'self' ${new URL(apiUrl).origin}` : "'self'";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action ${formTargets}`,
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy(null);

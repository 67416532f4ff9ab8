import { createHash } from 'node:crypto';
import { PAGE_SCRIPT } from './site-script.ts';

export { PAGE_SCRIPT };

/** The page's only script (progressive enhancement), allowed by its hash in the policy below. */
const scriptHash = createHash('sha256').update(PAGE_SCRIPT).digest('base64');

/**
 * A strict policy, delivered as a `<meta>` so it travels with the files to any static host: only
 * the page script runs, it fetches only from the site itself, nothing loads from another host, and even an attribute that
 * slipped past escaping could not run an inline event handler. Styles are inline (one `<style>`
 * per page, `--level` custom properties on uptime bars).
 */
export function contentSecurityPolicy(apiUrl: string | null): string {
  // The subscribe forms post to the API, which may live on another origin than the site's copy.
  const formTargets = apiUrl ? `'self' ${new URL(apiUrl).origin}` : "'self'";
  return [
    "default-src 'self'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    `form-action ${formTargets}`,
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy(null);

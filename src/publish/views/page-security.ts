import { createHash } from 'node:crypto';

/**
 * Progressive enhancement only: the reader's local time as a tooltip on every UTC time. It is the
 * page's only script, allowed by its hash in the Content-Security-Policy below.
 */
export const LOCAL_TIME_SCRIPT =
  "for(const t of document.querySelectorAll('time[datetime]')){const d=new Date(t.getAttribute('datetime'));" +
  "if(!isNaN(d))t.title=d.toLocaleString(undefined,{dateStyle:'medium',timeStyle:'short'})+' (your time)'}";

const scriptHash = createHash('sha256').update(LOCAL_TIME_SCRIPT).digest('base64');

/**
 * A strict policy, delivered as a `<meta>` so it travels with the files to any static host: only
 * the local-time script runs, nothing loads from another host, and even an attribute that
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

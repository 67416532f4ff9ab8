import type { Catalog } from '../config/content.ts';
import { escapeHtml } from '../publish/text.ts';
import type { Subscriber } from '../storage/subscribers.ts';

/** HTML built from escaped pieces: interpolated values are escaped unless they are `Html`. */
class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    const parts = Array.isArray(value) ? value : [value];
    out += parts
      .map((part) => (part instanceof Html ? part.value : escapeHtml(String(part ?? ''))))
      .join('');
    out += strings[i + 1]!;
  });
  return new Html(out);
}

/**
 * The same policy spirit as the site's: nothing runs, nothing loads from elsewhere, forms post
 * only back to the API, and no other site may frame the pages (a button worth clickjacking).
 */
export const PAGE_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// The status site's colours, type and cards (src/layouts/Base.astro), light and dark.
const STYLE = `
:root { --bg: #f5f6f8; --card: #fff; --text: #17191c; --muted: #555d66; --line: #dde1e6; --link: #0b57c2; --ok: #1a7f4b; --major: #b3261e;
  font: 16px/1.55 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; color: var(--text); background: var(--bg); }
@media (prefers-color-scheme: dark) { :root { --bg: #0e1116; --card: #161b22; --text: #e8ebef; --muted: #a3adb8; --line: #2c333c; --link: #79b0ff; --ok: #3fb97a; --major: #f47067; } }
* { box-sizing: border-box; } body { margin: 0; } a { color: var(--link); text-underline-offset: 2px; }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
header { border-bottom: 1px solid var(--line); background: var(--card); }
.wrap { max-width: 640px; margin: 0 auto; padding: 0 16px; }
header .wrap { min-height: 60px; display: flex; align-items: center; }
.brand { font-weight: 700; font-size: 1.15rem; color: var(--text); text-decoration: none; }
.muted { color: var(--muted); } main.wrap { padding-top: 24px; padding-bottom: 48px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px; }
.ok { color: var(--ok); } .bad { color: var(--major); }
fieldset { border: 1px solid var(--line); border-radius: 8px; margin: 0 0 16px; padding: 12px 16px; }
legend { font-weight: 600; padding: 0 4px; } label { display: block; margin: 4px 0; }
.group { margin: 8px 0 4px; font-weight: 600; } .indent { margin-left: 24px; }
button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid var(--link); background: var(--link); color: var(--card); cursor: pointer; }
button.secondary { background: transparent; color: var(--link); }
`;

export interface PageSite {
  name: string;
  siteUrl: string;
}

function layout(site: PageSite, title: string, body: Html): string {
  return `<!doctype html>${html`<html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="color-scheme" content="light dark" />
      <meta name="robots" content="noindex" />
      <title>${title} — ${site.name} status</title>
      <style>
        ${new Html(STYLE)}
      </style>
    </head>
    <body>
      <header>
        <div class="wrap">
          <a class="brand" href="${site.siteUrl}/"
            >${site.name} <span class="muted">status</span></a
          >
        </div>
      </header>
      <main class="wrap" id="main">
        <div class="card">${body}</div>
        <p><a href="${site.siteUrl}/">← Back to the status page</a></p>
      </main>
    </body>
  </html>`}`;
}

export function messagePage(site: PageSite, title: string, lines: string[], tone = ''): string {
  return layout(
    site,
    title,
    html`<h1 class="${tone}">${title}</h1>
      ${lines.map((line) => html`<p>${line}</p>`)}`,
  );
}

export const checkInboxPage = (site: PageSite) =>
  messagePage(site, 'Check your inbox', [
    'If the address can receive email from us, a confirmation link is on its way. Follow it within 48 hours to start receiving updates.',
    'Nothing arrives? Look in your spam folder, or try again later.',
  ]);

export const expiredPage = (site: PageSite, reason: 'expired' | 'used' | 'invalid') =>
  messagePage(
    site,
    reason === 'used' ? 'This link was already used' : 'This link has expired',
    [
      reason === 'used'
        ? 'Confirmation links work once. If you confirmed already, you are subscribed.'
        : reason === 'expired'
          ? 'Confirmation links work for 48 hours. Subscribe again from the status page to get a new one.'
          : 'The link is not valid, or the subscription it belonged to no longer exists. Subscribe again from the status page.',
    ],
    'bad',
  );

export const tooManyPage = (site: PageSite, retryAfterSeconds: number) =>
  messagePage(
    site,
    'Too many requests',
    [
      `Too many subscription requests came from your network. Nothing was sent. Please try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`,
    ],
    'bad',
  );

export const invalidPage = (site: PageSite, problems: string[]) =>
  messagePage(site, 'That did not work', problems, 'bad');

export const unsubscribedPage = (site: PageSite) =>
  messagePage(site, 'You are unsubscribed', [
    'You will receive no more status emails from us. Changed your mind? Subscribe again from the status page.',
  ]);

function describeFollows(catalog: Catalog, subscriber: Subscriber): string {
  if (subscriber.follows === 'all') return 'all components';
  const names = subscriber.components.map(
    (id) => catalog.byId.get(id)?.name ?? catalog.groups.find((g) => g.id === id)?.name ?? id,
  );
  const parts = [...names];
  if (subscriber.incidents.length > 0)
    parts.push(
      `${subscriber.incidents.length} incident${subscriber.incidents.length > 1 ? 's' : ''} until resolved`,
    );
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

export const confirmedPage = (
  site: PageSite,
  catalog: Catalog,
  subscriber: Subscriber,
  manageUrl: string,
) =>
  layout(
    site,
    'Subscription confirmed',
    html`<h1 class="ok">Subscription confirmed</h1>
      <p>${subscriber.email} will receive updates about ${describeFollows(catalog, subscriber)}.</p>
      <p>
        Every email has a link to change this or to unsubscribe.
        <a href="${manageUrl}">Manage your subscription</a>
      </p>`,
  );

export const savedPage = (
  site: PageSite,
  catalog: Catalog,
  subscriber: Subscriber,
  manageUrl: string,
) =>
  layout(
    site,
    'Preferences saved',
    html`<h1 class="ok">Preferences saved</h1>
      <p>${subscriber.email} will receive updates about ${describeFollows(catalog, subscriber)}.</p>
      <p><a href="${manageUrl}">Change them again</a></p>`,
  );

export function managePage(
  site: PageSite,
  catalog: Catalog,
  subscriber: Subscriber,
  token: string,
): string {
  const chosen = new Set(subscriber.components);
  const all = subscriber.follows === 'all';
  const groups = catalog.groups.map(
    (group) =>
      html`<label class="group"
          ><input
            type="checkbox"
            name="components"
            value="${group.id}"
            ${new Html(chosen.has(group.id) ? ' checked' : '')}
          />
          ${group.name} (all of it)</label
        >
        <div class="indent">
          ${group.componentIds.map((id) => {
            const component = catalog.byId.get(id)!;
            return html`<label
              ><input
                type="checkbox"
                name="components"
                value="${id}"
                ${new Html(chosen.has(id) ? ' checked' : '')}
              />
              ${component.name}</label
            >`;
          })}
        </div>`,
  );
  const loose = catalog.components
    .filter((c) => c.groupId === null)
    .map(
      (c) =>
        html`<label
          ><input
            type="checkbox"
            name="components"
            value="${c.id}"
            ${new Html(chosen.has(c.id) ? ' checked' : '')}
          />
          ${c.name}</label
        >`,
    );
  const status =
    subscriber.status === 'unsubscribed'
      ? 'You are unsubscribed. Saving preferences subscribes you again.'
      : `You currently receive updates about ${describeFollows(catalog, subscriber)}.`;
  return layout(
    site,
    'Manage your subscription',
    html`<h1>Manage your subscription</h1>
      <p>${subscriber.email}. ${status}</p>
      <form method="post" action="/v1/subscriptions/manage">
        <input type="hidden" name="token" value="${token}" />
        <fieldset>
          <legend>Send me updates about</legend>
          <label
            ><input type="radio" name="follows" value="all" ${new Html(all ? ' checked' : '')} />
            All components</label
          >
          <label
            ><input
              type="radio"
              name="follows"
              value="components"
              ${new Html(all ? '' : ' checked')}
            />
            Only the components I choose:</label
          >
          <div class="indent">${groups}${loose}</div>
        </fieldset>
        <button type="submit">Save preferences</button>
      </form>
      <form method="post" action="/v1/subscriptions/unsubscribe">
        <input type="hidden" name="token" value="${token}" />
        <p>
          Or stop all status emails: <button type="submit" class="secondary">Unsubscribe</button>
        </p>
      </form>`,
  );
}

export const unsubscribePromptPage = (site: PageSite, subscriber: Subscriber, token: string) =>
  layout(
    site,
    'Unsubscribe',
    html`<h1>Unsubscribe</h1>
      <p>Stop all status emails to ${subscriber.email}?</p>
      <form method="post" action="/v1/subscriptions/unsubscribe">
        <input type="hidden" name="token" value="${token}" />
        <button type="submit">Unsubscribe</button>
      </form>
      <p class="muted">
        Or
        <a href="/v1/subscriptions/manage?token=${token}">choose which components you hear about</a>
        instead.
      </p>`,
  );

import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { REPO_ROOT } from '../support/harness.ts';
import {
  DESKTOP,
  PHONE,
  SCREENSHOTS,
  openChecked,
  problemsInEveryLook,
  type OpenOptions,
} from '../support/page-checks.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';

/**
 * The status page as a customer uses it mid-outage, in Chromium: inspectable uptime days, times in
 * the reader's zone, a page that refreshes itself, brand, and the budgets, on a site with 30
 * components whose time zone is Europe/Berlin.
 */

let server: ServerProcess;
let browser: Browser;
let outageId: string;
let slowId: string;
let maintenanceId: string;

/** The repository's content with 20 more components (30 in all) and the site in Berlin. */
function contentWith30Components(): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-customer-content-'));
  cpSync(join(REPO_ROOT, 'content'), dir, { recursive: true });
  const site = readFileSync(join(dir, 'site.yaml'), 'utf8').replace(
    /^timezone: .*$/m,
    'timezone: Europe/Berlin',
  );
  writeFileSync(join(dir, 'site.yaml'), site);
  const entry = (id: string, name: string, indent: string) =>
    `${indent}- id: ${id}\n${indent}  name: ${name}\n${indent}  description: ${name} service.\n`;
  const regions = Array.from({ length: 12 }, (_, i) =>
    entry(`region-${i + 1}`, `Region ${i + 1}`, '      '),
  ).join('');
  const tools = Array.from({ length: 8 }, (_, i) => entry(`tool-${i + 1}`, `Tool ${i + 1}`, '  '));
  appendFileSync(
    join(dir, 'components.yaml'),
    `  - id: regions\n    name: Regions\n    components:\n${regions}components:\n${tools.join('')}`,
  );
  return dir;
}

beforeAll(async () => {
  server = await startServer({ env: { HERALD_CONTENT_DIR: contentWith30Components() } });
  const declared = await server.api('POST', '/v1/incidents', {
    title: 'Card payments failing at checkout',
    severity: 'SEV2',
    message: 'Some card payments fail.',
    components: [
      { id: 'checkout', status: 'major_outage' },
      { id: 'billing', status: 'degraded_performance' },
    ],
    roles: { commander: 'Ada Lovelace', communications: 'comms@acme.example' },
    business_impact: { summary: 'Card payments fail' },
  });
  expect(declared.status).toBe(201);
  outageId = ((await declared.json()) as { id: string }).id;
  const slow = await server.api('POST', '/v1/incidents', {
    title: 'Slow dashboard loading',
    severity: 'SEV4',
    message: 'The dashboard loads slowly for some customers.',
    components: [{ id: 'dashboard', status: 'degraded_performance' }],
  });
  expect(slow.status).toBe(201);
  slowId = ((await slow.json()) as { id: string }).id;
  // Maintenance coming up: the status page shows it, and its page is checked like the others.
  const maintenance = await server.api('POST', '/v1/maintenances', {
    title: 'Database engine upgrade',
    message: 'Writes pause for a minute while the primary switches over.',
    components: ['database', 'storage'],
    scheduled_for: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    scheduled_until: new Date(Date.now() + 2 * 86_400_000 + 2 * 3_600_000).toISOString(),
  });
  expect(maintenance.status).toBe(201);
  maintenanceId = ((await maintenance.json()) as { id: string }).id;
  await server.published();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens a page of the site in its own context, recording what `openChecked` records. */
const open = (path: string, options: OpenOptions = {}) =>
  openChecked(browser, `${server.url}${path}`, options);

const todayIn = (zone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());

describe('the status page a customer trusts mid-outage, in Chromium', () => {
  it("prints times in the site's zone, zone named, and shows them in the reader's own zone without a layout shift", async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    // Berlin in November is CET; the HTML carries it for readers without JavaScript.
    expect(html).toMatch(
      /<time datetime="[^"]+Z">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d CET<\/time>/,
    );
    for (const [timezoneId, zone] of [
      ['Asia/Tokyo', 'GMT+9'],
      ['America/New_York', 'EST'],
    ] as const)
      for (const viewport of [DESKTOP, PHONE]) {
        const where = `${timezoneId} at ${viewport.width} px`;
        const { page, checks, layoutShifts, close } = await open('/', { timezoneId, viewport });
        const latest = page.locator('#incidents [data-k="latest"] time').first();
        expect(await latest.innerText(), where).toContain(zone);
        // The site's own time stays at hand as the tooltip.
        expect(await latest.getAttribute('title'), where).toMatch(/ CET$/);
        const iso = (await latest.getAttribute('datetime'))!;
        const parts = new Intl.DateTimeFormat('en-US', {
          timeZone: timezoneId,
          hour: '2-digit',
          minute: '2-digit',
          hour12: true,
        }).formatToParts(new Date(iso));
        const clock = ['hour', 'minute'].map((t) => parts.find((p) => p.type === t)!.value);
        expect(await latest.innerText(), where).toContain(clock.join(':'));
        // "5 min ago" beside it, written by the script before the first paint.
        expect(
          await page.locator('#incidents [data-k="latest"] .ago').first().innerText(),
          where,
        ).toMatch(/^(\d+ s|\d+ min) ago$/);
        // Relative times are written too, and keep counting once a second: wait out two ticks.
        expect(await page.locator('#live').innerText(), where).toMatch(/^Updated \d+ s ago$/);
        await page.waitForTimeout(2_100);
        // Nothing moved, from the first paint on: no layout shift at all (CLS entries, each
        // naming what moved), not merely a small one.
        expect(await layoutShifts(), where).toEqual([]);
        await checks();
        await close();
      }
  });

  it("lists a past day's incidents by their clock under the day's heading, by the whole date where the reader's day is another", async () => {
    // Without JavaScript: the heading names the day in the site's zone, each row its clock.
    const html = await (await fetch(`${server.url}/`)).text();
    const past = html.slice(html.indexOf('<section class="day"'));
    expect(past).toMatch(/<small><time datetime="[^"]+Z">\d\d:\d\d CET<\/time> · /);
    expect(past).not.toMatch(/<small><time datetime="[^"]+Z">\d{1,2} [A-Z][a-z]{2} \d{4}/);
    // In the site's zone every row keeps its clock alone; Kiritimati is 13 hours ahead of Berlin
    // and Pago Pago 12 behind, so in one of the two every row falls on another day than its
    // heading's and shows its whole date (a year), there in the reader's zone.
    let clocks = 0;
    let dates = 0;
    for (const timezoneId of ['Europe/Berlin', 'Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const { page, checks, close } = await open('/', { timezoneId });
      const rows = await page
        .locator('section.day .row time')
        .evaluateAll((all) =>
          all.map((t) => [
            t.closest('section')!.getAttribute('aria-labelledby')!,
            t.getAttribute('datetime')!,
            t.textContent!,
          ]),
        );
      expect(rows.length, timezoneId).toBeGreaterThan(0);
      for (const [heading, iso, text] of rows) {
        const readerDay = new Intl.DateTimeFormat('en-CA', { timeZone: timezoneId }).format(
          new Date(iso!),
        );
        const sameDay = heading === `day-${readerDay}`;
        if (sameDay) clocks++;
        else dates++;
        expect(/\d{4}/.test(text!), `${timezoneId}: ${iso} shown as ${text}`).toBe(!sameDay);
        if (timezoneId === 'Europe/Berlin') expect(sameDay, iso).toBe(true);
      }
      await checks();
      await close();
    }
    expect(clocks).toBeGreaterThan(0);
    expect(dates).toBeGreaterThan(0);
  });

  it('keeps an open page\'s clock moving without a reload: "ongoing for", "5 min ago" and a passed "Next update by"', async () => {
    const { page, checks, close } = await open(`/incidents/${outageId}/`);
    // The page's timers run on a clock the test moves.
    await page.clock.install();
    await page.reload();
    const ongoing = page.locator('.meta [data-for]');
    const next = page.locator('p.next[data-due]');
    expect(await next.locator('span').innerText()).toBe('Next update by');
    const before = await ongoing.innerText();
    expect(await page.locator('.timeline [data-ago]').first().innerText()).toMatch(/ago$/);
    // Three hours pass in the open tab: every promise of an update has passed by then.
    await page.clock.fastForward('03:00:00');
    await expect.poll(() => next.locator('span').innerText()).toBe('Update overdue since');
    expect(await ongoing.innerText()).not.toBe(before);
    expect(await ongoing.innerText()).toMatch(/^3 h/);
    expect(await page.locator('.timeline [data-ago]').first().innerText()).toMatch(/^3 h .*ago$/);
    await checks();
    await close();
  });

  it("opens a day's details by keyboard on a wide screen, with its downtime and incidents", async () => {
    const { page, checks, close } = await open('/', { colorScheme: 'light' });
    const row = page.locator('.comp[data-c="checkout"]');
    // 90 days on a wide screen, each a full-height bar whatever its status.
    const sizes = await row
      .locator('.bars > *')
      .evaluateAll((all) =>
        all.map((b) => [
          (b as unknown as { offsetWidth: number }).offsetWidth,
          (b as unknown as { offsetHeight: number }).offsetHeight,
        ]),
      );
    expect(sizes.filter(([w]) => w! > 0)).toHaveLength(90);
    expect(new Set(sizes.map(([, h]) => h)).size).toBe(1);
    // From the component's name, Tab reaches today's bar (one tab stop per row, arrows inside).
    await row.locator('.ch a').focus();
    await page.keyboard.press('Tab');
    const today = todayIn('Europe/Berlin');
    const focused = await page.evaluate<string | null>(
      "document.activeElement.closest('[data-c]').dataset.c",
    );
    expect(focused).toBe('checkout');
    const details = page.locator('#daypop');
    await details.getByRole('link', { name: 'Card payments failing at checkout' }).waitFor();
    expect(await details.innerText()).toMatch(/Major outage \d+ min|Major outage under a minute/);
    expect(
      await details
        .getByRole('link', { name: 'Card payments failing at checkout' })
        .getAttribute('href'),
    ).toBe(`/incidents/${outageId}/`);
    expect(
      await page.evaluate<string>('document.activeElement.getAttribute("aria-expanded")'),
    ).toBe('true');
    await page.screenshot({ path: join(SCREENSHOTS, 'day-details.png') });
    // The day before today is before this new installation's first record: no data, grey.
    await page.keyboard.press('ArrowLeft');
    await details.getByText('No data').waitFor();
    expect(await row.locator('.bars > :nth-last-child(2)').evaluate((b) => b.tagName)).toBe('B');
    await page.keyboard.press('End');
    await details.getByRole('link', { name: 'Card payments failing at checkout' }).waitFor();
    expect(await details.innerText()).toContain(
      new Date(`${today}T12:00:00Z`).getUTCDate().toString(),
    );
    await page.keyboard.press('Escape');
    expect(await details.count()).toBe(0);
    await checks();
    await close();
  });

  it('folds a group as a native <details> that names its worst status, affected members first', async () => {
    const { page, checks, close } = await open('/');
    const group = page.locator('details.group', { has: page.locator('[data-c="checkout"]') });
    const summary = group.locator('summary');
    // Checkout is down and first in its group while the incident is open.
    expect(await summary.innerText()).toMatch(/Major outage/);
    expect(await group.locator('.comp').first().getAttribute('data-c')).toBe('checkout');
    await summary.click();
    expect(await group.locator('.comp[data-c="checkout"]').isVisible()).toBe(false);
    await summary.press('Enter');
    expect(await group.locator('.comp[data-c="checkout"]').isVisible()).toBe(true);
    // "Affects Checkout" on the incident's card links to the component.
    const card = page.locator(`#incidents article[data-id="${outageId}"]`);
    expect(
      await card.getByRole('link', { name: 'Checkout', exact: true }).getAttribute('href'),
    ).toBe('/components/checkout/');
    await checks();
    await close();
  });

  it("opens a day's details by a tap on a phone, which shows the last 30 days", async () => {
    const { page, checks, close } = await open('/', {
      viewport: PHONE,
      hasTouch: true,
      isMobile: true,
    });
    const bars = page.locator('.comp[data-c="checkout"] .bars > *');
    const widths = await bars.evaluateAll((all) =>
      all.map((b) => (b as unknown as { offsetWidth: number }).offsetWidth),
    );
    const visible = widths.filter((w) => w > 0);
    expect(visible).toHaveLength(30);
    // Wide enough to show its pattern.
    expect(Math.min(...visible)).toBeGreaterThanOrEqual(8);
    await bars.last().tap();
    const details = page.locator('#daypop');
    await details.getByRole('link', { name: 'Card payments failing at checkout' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'status-mobile.png') });
    await checks();
    await close();
  });

  it('keeps every day inspectable without JavaScript, through its anchor on the component page', async () => {
    const today = todayIn('Europe/Berlin');
    const { page, checks, close } = await open(`/components/checkout/#day-${today}`, {
      javaScriptEnabled: false,
    });
    const day = page.locator(`#day-${today}`);
    expect(await day.isVisible()).toBe(true);
    expect(await day.getByRole('link', { name: 'Card payments failing at checkout' }).count()).toBe(
      1,
    );
    // A quiet day is listed only when its bar links to it.
    const earlier = page.locator('.days > li:not(.n)').first();
    expect(await earlier.isVisible()).toBe(false);
    await page.locator('.bars a').first().click();
    const first = await page.locator('.bars a').first().getAttribute('href');
    expect(await page.locator(first!).isVisible()).toBe(true);
    expect(await page.locator(first!).innerText()).toContain('No data');
    await checks();
    await close();
  });

  it('refreshes itself from the published JSON: a posted update and a new incident appear without a reload', async () => {
    const { page, checks, close } = await open('/');
    // A tab in the background does not poll.
    const background = await open('/', {
      initScript: `Object.defineProperty(Document.prototype, 'hidden', { get: () => true });
       Object.defineProperty(Document.prototype, 'visibilityState', { get: () => 'hidden' });`,
    });
    const backgroundPolls: string[] = [];
    background.page.on(
      'request',
      (r) => r.url().includes('/api/v2/') && backgroundPolls.push(r.url()),
    );
    const polls: string[] = [];
    page.on('request', (r) => r.url().includes('/api/v2/summary.json') && polls.push(r.url()));
    await page.evaluate('globalThis.notReloaded = true');
    expect(await page.locator('#live').innerText()).toMatch(/^Updated \d+ s ago$/);
    const posted = await server.api('POST', `/v1/incidents/${outageId}/updates`, {
      status: 'monitoring',
      message: 'The rollback is complete; payments succeed again. We are monitoring.',
      components: [{ id: 'checkout', status: 'operational' }],
    });
    expect(posted.status).toBe(201);
    const declared = await server.api('POST', '/v1/incidents', {
      title: 'Webhook deliveries delayed',
      severity: 'SEV3',
      message: 'Webhook deliveries are delayed by up to ten minutes.',
      components: [{ id: 'webhooks', status: 'partial_outage' }],
    });
    expect(declared.status).toBe(201);
    const resolved = await server.api('POST', `/v1/incidents/${slowId}/updates`, {
      status: 'resolved',
      message: 'The dashboard is fast again.',
    });
    expect(resolved.status).toBe(201);
    await server.published();
    // The page polls every 30 s while visible.
    const card = page.locator(`#incidents article[data-id="${outageId}"]`);
    await card.getByText('The rollback is complete').waitFor({ timeout: 45_000 });
    expect(await card.locator('[data-k="latest"]').innerText()).toContain('Monitoring');
    expect(await card.locator('.next').innerText()).toMatch(
      /^(Next update by|Update overdue since) /,
    );
    await page.getByRole('link', { name: 'Webhook deliveries delayed' }).waitFor();
    // A card the refresh added reads like a published one: what it affects, linked, and when.
    const added = page.locator('#incidents article', { hasText: 'Webhook deliveries delayed' });
    expect(await added.getByRole('link', { name: 'Webhooks' }).getAttribute('href')).toBe(
      '/components/webhooks/',
    );
    expect(await added.locator('[data-k="latest"]').innerText()).toMatch(
      /^Investigating · .+ (\d+ s|\d+ min) ago$/,
    );
    expect(await page.locator(`#incidents article[data-id="${slowId}"]`).count()).toBe(0);
    expect(await page.locator('.comp[data-c="checkout"] .status').innerText()).toBe('Operational');
    expect(await page.locator('.comp[data-c="webhooks"] .status').innerText()).toBe(
      'Partial outage',
    );
    expect(await page.locator('#live').innerText()).toMatch(/^Updated \d+ s ago$/);
    expect(await page.evaluate<boolean>('globalThis.notReloaded')).toBe(true);
    expect(polls.length).toBeGreaterThan(0);
    expect(backgroundPolls).toEqual([]);
    await background.checks();
    await background.close();
    await checks();
    await close();
  }, 90_000);

  it('passes axe at 1280 and 390 px in light and dark on every kind of page, with no console errors, CSP violations or layout shifts', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const today = todayIn('Europe/Berlin');
    // Every kind of public page (the postmortem in postmortem.test.ts, the subscription pages in
    // subscribe.test.ts), each loaded once and then checked in the four looks in place.
    const pages: Array<{ path: string; options?: OpenOptions; prepare?: string }> = [
      // The status page with a day's details open. (axe cannot run where scripts are off; the
      // page without its script differs only in the bar rows, which are then images.)
      { path: '/', prepare: '.comp[data-c="checkout"] .bars > :last-child' },
      { path: `/incidents/${outageId}/` },
      // A resolved incident: no "next update", no subscribe form.
      { path: `/incidents/${slowId}/` },
      // The component page opened at one day's details, the no-JavaScript path of a bar.
      { path: `/components/checkout/#day-${today}` },
      { path: '/history/' },
      { path: `/maintenances/${maintenanceId}/` },
      { path: '/no-such-page/', options: { status: 404, allowConsole: /status of 404/ } },
    ];
    const problems: string[] = [];
    for (const { path, options, prepare } of pages) {
      const { page, checks, layoutShifts, close } = await open(path, options);
      if (prepare) await page.locator(prepare).click();
      // Past the first tick of the relative times.
      await page.waitForTimeout(1_100);
      expect(await layoutShifts(), path).toEqual([]);
      if (path === `/incidents/${outageId}/`)
        await page.screenshot({ path: join(SCREENSHOTS, 'incident.png'), fullPage: true });
      problems.push(...(await problemsInEveryLook(page)));
      if (path === '/no-such-page/') {
        // The 404 page is the site's own, styled in both schemes.
        expect(await page.locator('h1').innerText()).toBe('Page not found');
        for (const colorScheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme });
          expect(
            await page.evaluate<string>(
              'getComputedStyle(document.documentElement).backgroundColor',
            ),
            colorScheme,
          ).toBe(colorScheme === 'dark' ? 'rgb(14, 17, 22)' : 'rgb(245, 246, 248)');
        }
      }
      await checks();
      await close();
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('shows what the incident did to each component, linked, with the nested change list kept compact', async () => {
    const { page, checks, close } = await open(`/incidents/${outageId}/`);
    const affected = page.locator('section[aria-labelledby="affected"] .row');
    expect(await affected.count()).toBe(2);
    expect(await affected.first().innerText()).toMatch(/Checkout\s*Major outage\s*for /);
    expect(
      await affected.first().getByRole('link', { name: 'Checkout' }).getAttribute('href'),
    ).toBe('/components/checkout/');
    // "Checkout: Major outage → Operational" stays on one line at 1280 px.
    const change = page.locator('.changes li').first();
    const lineHeight = await page.evaluate<number>(
      "parseFloat(getComputedStyle(document.querySelector('.changes li')).lineHeight)",
    );
    expect((await change.boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
    const time = page.locator('ol.timeline > li time').first();
    expect((await time.boundingBox())!.height).toBeLessThan(lineHeight * 1.5);
    await checks();
    await close();
  });

  it('filters the history by component and impact, each entry naming its components and duration', async () => {
    const { page, checks, close } = await open('/history/');
    const rows = page.locator('[data-cs]');
    const total = await rows.count();
    expect(total).toBeGreaterThanOrEqual(3);
    expect(await rows.filter({ hasText: 'Slow dashboard loading' }).innerText()).toMatch(
      /Dashboard · lasted /,
    );
    await page.getByLabel('Component').selectOption('dashboard');
    expect(await page.locator('[data-cs]:visible').count()).toBe(1);
    await page.getByLabel('Component').selectOption('');
    await page.getByLabel('Impact').selectOption('major');
    const major = await page.locator('[data-cs]:visible').allInnerTexts();
    expect(major.length).toBeGreaterThan(0);
    expect(major.length).toBeLessThan(total);
    expect(await page.locator('#fcount').innerText()).toBe(`${major.length} shown`);
    await checks();
    await close();
  });

  it('carries the brand and the sharing tags, and stays within the budgets with 30 components', async () => {
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html.match(/class="comp"/g)).toHaveLength(30);
    expect(Buffer.byteLength(html)).toBeLessThan(60_000);
    // The logo and favicon are site.yaml's files, inlined.
    const inlined = (file: string) =>
      `data:image/svg+xml;base64,${readFileSync(join(REPO_ROOT, 'content', file)).toString('base64')}`;
    expect(html).toContain(`<link rel="icon" href="${inlined('favicon.svg')}">`);
    expect(html).toContain(`<a class="brand" href="/"><img src="${inlined('logo.svg')}"`);
    expect(html).toContain('<meta property="og:title" content="Acme Cloud status">');
    const banner = /<h1 class="banner[^"]*">.*?<\/svg>([^<]+)<\/h1>/.exec(html)![1]!;
    expect(html).toContain(`<meta property="og:description" content="${banner}. `);
    expect(html).toContain('<meta name="twitter:card" content="summary">');
    expect(html).toContain('<a href="/docs">Powered by Herald</a>');
    // With SITE_URL unset, public links use site.yaml's url rather than the loopback address.
    expect(html).toContain('<link rel="canonical" href="https://status.acme.example/">');
    expect(html).toContain('href="/history.atom"');
    const atom = await fetch(`${server.url}/history.atom`);
    expect(atom.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    expect(await atom.text()).toContain(
      `href="https://status.acme.example/incidents/${outageId}/#update-`,
    );
  });
});

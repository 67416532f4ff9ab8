import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import {
  SCREENSHOTS,
  openChecked,
  problemsInEveryLook,
  seriousViolations,
} from '../support/page-checks.ts';
import { freePort, startServer, type ServerProcess } from '../support/server-process.ts';

let server: ServerProcess;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  const port = await freePort();
  // The browser follows links: they lead to this loopback server, never to site.yaml's host.
  server = await startServer({ port, env: { SITE_URL: `http://127.0.0.1:${port}` } });
  const declared = await server.api('POST', '/v1/incidents', {
    title: 'Card payments failing at checkout',
    severity: 'SEV2',
    message: 'Some card payments fail.\n\nDetails on [our blog](https://acme.example/blog).',
    components: [
      { id: 'checkout', status: 'major_outage' },
      { id: 'billing', status: 'degraded_performance' },
    ],
    roles: { commander: 'Ada Lovelace', communications: 'comms@acme.example' },
    business_impact: { summary: 'Card payments fail' },
  });
  expect(declared.status).toBe(201);
  incidentId = ((await declared.json()) as { id: string }).id;
  const update = await server.api('POST', `/v1/incidents/${incidentId}/updates`, {
    status: 'identified',
    message: 'A faulty deploy of the payment gateway is the cause. We are rolling it back.',
  });
  expect(update.status).toBe(201);
  const second = await server.api('POST', '/v1/incidents', {
    title: 'Slow dashboard loading',
    severity: 'SEV4',
    message: 'The dashboard loads slowly for some customers.',
    components: [{ id: 'dashboard', status: 'degraded_performance' }],
  });
  expect(second.status).toBe(201);
  await server.published();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Opens a page (1100 px wide) with the shared checks, and records every dialog: an injected
 * `alert` would open one.
 */
async function open(path: string, colorScheme: 'light' | 'dark' = 'light') {
  const opened = await openChecked(browser, `${server.url}${path}`, {
    viewport: { width: 1100, height: 900 },
    colorScheme,
  });
  const dialogs: string[] = [];
  opened.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  return { ...opened, dialogs };
}

describe('the published status site in Chromium', () => {
  it('shows the status page with no console errors, no foreign requests and no serious axe violations', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page, checks, close } = await open('/', scheme);
      expect(await page.locator('h1').innerText()).toContain('Major System Outage');
      expect(await page.getByRole('heading', { name: 'Active incidents' }).count()).toBe(1);
      expect(await page.getByText('Next update by').count()).toBe(2);
      expect(await page.locator('.bars').count()).toBe(10);
      await checks();
      expect(await seriousViolations(page)).toEqual([]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `status-${scheme}.png`), fullPage: true });
      // Keyboard users can jump past the header straight to the content.
      await page.keyboard.press('Tab');
      expect(
        await page.evaluate<string | null>('document.activeElement.getAttribute("href")'),
      ).toBe('#main');
      expect(await page.locator('main#main').count()).toBe(1);
      await close();
    }
  });

  it('follows the incident link to a full timeline that passes the same checks', async () => {
    const { page, checks, close } = await open('/');
    // The active incident's link (the same incident is also listed under "Past incidents").
    await page
      .locator('#incidents')
      .getByRole('link', { name: 'Card payments failing at checkout' })
      .click();
    await page.waitForURL(`${server.url}/incidents/${incidentId}/`);
    expect(await page.locator('h1').innerText()).toBe('Card payments failing at checkout');
    const updates = page.locator('ol.timeline > li');
    expect(await updates.count()).toBe(2);
    expect(await updates.first().innerText()).toContain('rolling it back');
    expect(await page.locator('ol.timeline time[datetime]').count()).toBe(2);
    expect(await page.getByRole('link', { name: 'our blog' }).getAttribute('href')).toBe(
      'https://acme.example/blog',
    );
    // The page script is allowed by its hash and ran: each time now reads in the reader's zone,
    // the site's own (UTC here) kept as its tooltip.
    const times = page.locator('ol.timeline time[title$=" UTC"]');
    expect(await times.count()).toBe(2);
    for (const time of await times.all())
      expect(await time.innerText()).not.toBe(await time.getAttribute('title'));
    await checks();
    expect(await seriousViolations(page)).toEqual([]);
    await close();
  });

  it('passes the checks on the history and component pages too, at 1280 and 390 px in both schemes', async () => {
    // customer.test.ts checks every kind of page on a 30-component site in Berlin; these are the
    // shipped content's, in UTC.
    const problems: string[] = [];
    for (const path of ['/history/', '/components/checkout/']) {
      const { page, checks, close } = await open(path);
      problems.push(...(await problemsInEveryLook(page)));
      await checks();
      await close();
    }
    expect(problems).toEqual([]);
  });

  it('is served with short cache headers and the right content types', async () => {
    const page = await fetch(`${server.url}/incidents/${incidentId}/`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toContain('max-age=10');
    const feed = await fetch(`${server.url}/history.rss`);
    expect(feed.headers.get('content-type')).toBe('application/rss+xml; charset=utf-8');
    expect(await feed.text()).toContain('Card payments failing at checkout');
    const json = await fetch(`${server.url}/api/v2/summary.json`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const badge = await fetch(`${server.url}/badge.svg`);
    expect(badge.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
  });

  it('runs no script injected through a link in a message, on the status page or the incident page', async () => {
    const declared = await server.api('POST', '/v1/incidents', {
      title: 'Link injection check',
      severity: 'SEV4',
      message: 'Read more [here](https://a.example/?a=1&b="autofocus="true"onfocus="alert`1`"x=")',
    });
    expect(declared.status).toBe(201);
    const { id } = (await declared.json()) as { id: string };
    await server.published();
    for (const path of ['/', `/incidents/${id}/`]) {
      const { page, checks, dialogs, close } = await open(path);
      const injected = await page.evaluate<number>(
        "document.querySelectorAll('[onfocus], [autofocus]').length",
      );
      expect(injected, path).toBe(0);
      for (const link of await page.locator('a[href*="a.example"]').all())
        expect(await link.evaluate((a) => a.getAttributeNames().sort()), path).toEqual([
          'href',
          'rel',
        ]);
      // Focus every link: an injected handler would run now if it could.
      for (const link of await page.locator('a').all()) await link.focus();
      expect(dialogs, path).toEqual([]);
      await checks();
      await close();
    }
  });
});

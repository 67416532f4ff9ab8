import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/harness.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';

const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let server: ServerProcess;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  server = await startServer();
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
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens a page, recording console errors and every request that leaves the server's host. */
async function open(path: string, colorScheme: 'light' | 'dark' = 'light') {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, colorScheme });
  const errors: string[] = [];
  const foreign: string[] = [];
  const host = new URL(server.url).host;
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.host !== host) foreign.push(r.url());
  });
  const response = await page.goto(`${server.url}${path}`);
  expect(response?.status()).toBe(200);
  return { page, errors, foreign };
}

async function seriousViolations(page: Page) {
  await page.addScriptTag({ path: AXE });
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            o: unknown,
          ) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }>;
        };
      }
    ).axe;
    return axe.run({
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
    });
  });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
}

describe('the published status site in Chromium', () => {
  it('shows the status page with no console errors, no foreign requests and no serious axe violations', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const { page, errors, foreign } = await open('/', scheme);
      expect(await page.locator('h1').innerText()).toContain('Major System Outage');
      expect(await page.getByRole('heading', { name: 'Active incidents' }).count()).toBe(1);
      expect(await page.getByText('Next update by').count()).toBe(2);
      expect(await page.locator('.bars').count()).toBe(10);
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({
        path: join(REPO_ROOT, `docs/screenshots/status-${scheme}.png`),
        fullPage: true,
      });
      await page.close();
    }
  });

  it('follows the incident link to a full timeline that passes the same checks', async () => {
    const { page, errors, foreign } = await open('/');
    await page.getByRole('link', { name: 'Card payments failing at checkout' }).click();
    await page.waitForURL(`${server.url}/incidents/${incidentId}/`);
    expect(await page.locator('h1').innerText()).toBe('Card payments failing at checkout');
    const updates = page.locator('ol.timeline > li');
    expect(await updates.count()).toBe(2);
    expect(await updates.first().innerText()).toContain('rolling it back');
    expect(await page.locator('ol.timeline time[datetime]').count()).toBe(2);
    expect(await page.getByRole('link', { name: 'our blog' }).getAttribute('href')).toBe(
      'https://acme.example/blog',
    );
    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('passes the checks on the history and component pages too', async () => {
    for (const path of ['/history/', '/components/checkout/']) {
      const { page, errors, foreign } = await open(path);
      expect(errors).toEqual([]);
      expect(foreign).toEqual([]);
      expect(await seriousViolations(page)).toEqual([]);
      await page.close();
    }
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
});

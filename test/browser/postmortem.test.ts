import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { openChecked, problemsInEveryLook, SCREENSHOTS } from '../support/page-checks.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';

/**
 * Private facts of the incident and its review, each distinctive enough that finding it anywhere
 * in the published site can only be a leak.
 */
const SECRETS = {
  business_summary: 'Acquirer settlement exposure ZX-91',
  customers: '48213',
  customers_grouped: '48,213',
  revenue: '7319.5',
  revenue_grouped: '7,319',
  active_summary: 'Enterprise dashboards at risk YV-3',
  active_customers: '38117',
  owner: 'owner.ada@acme.example',
  second_owner: 'Grace Hopper-Owner',
  internal_note: 'Vendor credit negotiation QX-7',
  commander: 'commander.lin@acme.example',
};

let server: ServerProcess;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  server = await startServer();
  const declared = await server.api('POST', '/v1/incidents', {
    title: 'Card payments failing at checkout',
    severity: 'SEV1',
    message: 'Card payments fail for most customers.',
    components: [{ id: 'checkout', status: 'major_outage' }],
    roles: { commander: SECRETS.commander, communications: 'comms@acme.example' },
    business_impact: {
      summary: SECRETS.business_summary,
      customers_affected: Number(SECRETS.customers),
      revenue_per_minute: Number(SECRETS.revenue),
      currency: 'USD',
    },
  });
  expect(declared.status).toBe(201);
  incidentId = ((await declared.json()) as { id: string }).id;
  const resolved = await server.api('POST', `/v1/incidents/${incidentId}/updates`, {
    status: 'resolved',
    message: 'Card payments work again.',
  });
  expect(resolved.status).toBe(201);
  const review = await server.api('PUT', `/v1/incidents/${incidentId}/postmortem`, {
    summary: 'Card payments failed for 40 minutes after a certificate expired.',
    root_cause: 'The payment gateway presented an expired TLS certificate.',
    root_cause_category: 'Certificate expiry',
    contributing_factors: ['Certificate expiry was not monitored'],
    impact: 'Most card payments at checkout failed; retries succeeded afterwards.',
    what_went_well: ['The failing dependency was found within ten minutes'],
    what_could_improve: ['Renew certificates automatically'],
    internal_notes: SECRETS.internal_note,
    action_items: [
      {
        title: 'Alert 30 days before any certificate expires',
        owner: SECRETS.owner,
        priority: 'P1',
        due_date: '2026-12-15',
      },
      {
        title: 'Automate gateway certificate renewal',
        owner: SECRETS.second_owner,
        priority: 'P2',
        state: 'in_progress',
      },
    ],
    published: true,
  });
  expect(review.status).toBe(200);
  // An active SEV2 with business figures, for the digest (and one more thing the sweep must miss).
  const active = await server.api('POST', '/v1/incidents', {
    title: 'Dashboard slow to load',
    severity: 'SEV2',
    message: 'The dashboard loads slowly for some customers.',
    components: [{ id: 'dashboard', status: 'degraded_performance' }],
    roles: { commander: 'Grace Hopper', communications: 'comms@acme.example' },
    business_impact: {
      summary: SECRETS.active_summary,
      customers_affected: Number(SECRETS.active_customers),
      revenue_per_minute: 120,
      currency: 'EUR',
    },
    eta: new Date(Date.now() + 3_600_000).toISOString(),
  });
  expect(active.status).toBe(201);
  await server.published();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Every file under `dir`, decompressed when it is a .br or .gz sibling. */
function publishedFiles(dir: string): Array<{ path: string; text: string }> {
  const files: Array<{ path: string; text: string }> = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      files.push(...publishedFiles(path));
      continue;
    }
    const bytes = readFileSync(path);
    const text = path.endsWith('.br')
      ? brotliDecompressSync(bytes).toString('utf8')
      : path.endsWith('.gz')
        ? gunzipSync(bytes).toString('utf8')
        : bytes.toString('utf8');
    files.push({ path, text });
  }
  return files;
}

describe('the executive digest preview', () => {
  it('renders in a browser with the active incident, its cost so far and the resolved one', async () => {
    const res = await server.api('GET', '/v1/digests/executive');
    expect(res.status).toBe(200);
    const html = await res.text();
    const page = await browser.newPage({ viewport: { width: 700, height: 900 } });
    await page.setContent(html);
    const text = await page.locator('body').innerText();
    expect(text).toContain('[SEV2] Dashboard slow to load');
    expect(text).toContain('38,117');
    expect(text).toMatch(/Estimated cost so far\s+€[\d,]+\.\d\d/);
    expect(text).toContain('Resolved since the last digest (1)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'digest.png'), fullPage: true });
    await page.close();
    const preview = (await (
      await fetch(`${server.url}/v1/digests/executive`, {
        headers: { authorization: `Bearer ${server.token}`, accept: 'application/json' },
      })
    ).json()) as { text: string };
    writeFileSync(join(SCREENSHOTS, 'digest.txt'), preview.text);
    expect(preview.text).toContain('ACTIVE INCIDENTS: 1');
  });
});

describe('a published postmortem', () => {
  it('shows on the incident page in its public form, accessibly at 1280 and 390 px in both schemes', async () => {
    const { page, checks, close } = await openChecked(
      browser,
      `${server.url}/incidents/${incidentId}/`,
      { viewport: { width: 1100, height: 900 } },
    );
    const section = page.locator('section.postmortem');
    await expect.poll(() => section.count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'Postmortem', level: 2 }).count()).toBe(1);
    const text = await section.innerText();
    expect(text).toContain('Card payments failed for 40 minutes after a certificate expired.');
    expect(text).toContain('The payment gateway presented an expired TLS certificate.');
    expect(text).toContain('Certificate expiry was not monitored');
    expect(text).toContain('Alert 30 days before any certificate expires');
    expect(text).toContain('P2 · In progress');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    await page.screenshot({ path: join(SCREENSHOTS, 'postmortem.png'), fullPage: true });
    expect(await problemsInEveryLook(page)).toEqual([]);
    await checks();
    await close();
  });

  it('is marked in the feed and the Statuspage JSON', async () => {
    const rss = await (await fetch(`${server.url}/history.rss`)).text();
    expect(rss).toContain('Postmortem: Card payments failing at checkout');
    expect(rss).toContain(`${incidentId}-postmortem`);
    const incidents = (await (await fetch(`${server.url}/api/v2/incidents.json`)).json()) as {
      incidents: Array<{ id: string; postmortem_published_at: string | null }>;
    };
    const marked = incidents.incidents.find((i) => i.id === incidentId)!;
    expect(marked.postmortem_published_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('leaves no business figure, owner, commander or internal note anywhere in data/site/', () => {
    const site = join(server.dataDir, 'site');
    const files = publishedFiles(site);
    // The sweep covers the incident page, the feeds and the JSON (and any compressed siblings).
    const names = files.map((f) => relative(site, f.path));
    expect(names).toContain(`incidents/${incidentId}/index.html`);
    expect(names).toContain('history.rss');
    expect(names).toContain('api/v2/incidents.json');
    const leaks = files.flatMap((file) =>
      Object.entries(SECRETS)
        .filter(([, secret]) => file.text.includes(secret))
        .map(([name]) => `${name} in ${relative(site, file.path)}`),
    );
    expect(leaks).toEqual([]);
    // and the postmortem itself did reach the page
    const page = files.find((f) => f.path.endsWith(`incidents/${incidentId}/index.html`))!;
    expect(page.text).toContain('Automate gateway certificate renewal');
  });
});

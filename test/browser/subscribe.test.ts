import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { problemsInEveryLook, seriousViolations } from '../support/page-checks.ts';
import { startResendStub, type ResendStub } from '../support/resend-stub.ts';
import { freePort, startServer, waitFor, type ServerProcess } from '../support/server-process.ts';
import { linkIn } from '../subscriptions/support.ts';

let stub: ResendStub;
let server: ServerProcess;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  stub = await startResendStub();
  const port = await freePort();
  server = await startServer({
    port,
    env: {
      // The site and the API are this process: the browser follows every link to loopback.
      SITE_URL: `http://127.0.0.1:${port}`,
      ...stub.env,
      HERALD_TICK_MS: '200',
      HERALD_EMAIL_RATE_PER_SECOND: '50',
    },
  });
  const declared = await server.api('POST', '/v1/incidents', {
    title: 'Slow API responses',
    severity: 'SEV3',
    message: 'Some API calls are slow.',
    components: [{ id: 'api', status: 'degraded_performance' }],
  });
  expect(declared.status).toBe(201);
  incidentId = ((await declared.json()) as { id: string }).id;
  await server.published();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await stub?.close();
});

/** A page that records console errors, foreign requests and CSP violations. */
async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const problems: string[] = [];
  const host = new URL(server.url).host;
  await page.addInitScript(`
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error('CSP ' + e.violatedDirective + ' ' + e.blockedURI));
  `);
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.host !== host) problems.push(`foreign ${r.url()}`);
  });
  return { page, problems };
}

/**
 * Checks a result page: its heading, accessible at 1280 and 390 px in both schemes, nothing
 * broken or foreign. The page is left at its first size and scheme.
 */
async function expectResultPage(page: Page, problems: string[], heading: string) {
  expect(await page.locator('h1').innerText()).toBe(heading);
  expect(await problemsInEveryLook(page), heading).toEqual([]);
  await page.setViewportSize({ width: 1000, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
  expect(problems, heading).toEqual([]);
}

describe('subscribing from the published site, without JavaScript', () => {
  it('subscribes from /, confirms, chooses components on the manage page and unsubscribes, through accessible pages', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await page.getByLabel('Email address').fill('reader@example.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    expect(await page.locator('h1').innerText()).toBe('Check your inbox');
    await context.close();

    await waitFor('the confirmation email', () =>
      stub.delivered.some((e) => e.to[0] === 'reader@example.com'),
    );
    const confirmation = stub.delivered.find((e) => e.to[0] === 'reader@example.com')!;
    const { page: confirmPage, problems } = await newPage();
    await confirmPage.goto(linkIn(confirmation, 'confirm'));
    await expectResultPage(confirmPage, problems, 'Subscription confirmed');
    expect(await confirmPage.locator('main').innerText()).toContain('all components');

    await confirmPage.getByRole('link', { name: 'Manage your subscription' }).click();
    await expectResultPage(confirmPage, problems, 'Manage your subscription');
    await confirmPage.getByLabel('Only the components I choose').check();
    await confirmPage.getByLabel('Checkout', { exact: true }).check();
    await confirmPage.getByRole('button', { name: 'Save preferences' }).click();
    await expectResultPage(confirmPage, problems, 'Preferences saved');
    expect(await confirmPage.locator('main').innerText()).toContain('updates about Checkout');

    await confirmPage.getByRole('link', { name: 'Change them again' }).click();
    await confirmPage.getByRole('button', { name: 'Unsubscribe' }).click();
    await expectResultPage(confirmPage, problems, 'You are unsubscribed');
    const listed = (await (await server.api('GET', '/v1/subscribers')).json()) as {
      subscribers: Array<{ email: string; status: string; components: string[] }>;
    };
    expect(listed.subscribers).toEqual([
      expect.objectContaining({
        email: 'reader@example.com',
        status: 'unsubscribed',
        components: ['checkout'],
      }),
    ]);

    // The confirmation link was used: a clear page, not an error.
    const reused = await confirmPage.goto(linkIn(confirmation, 'confirm'));
    expect(reused?.status()).toBe(410);
    // Chromium logs the 410 itself; nothing else may appear.
    problems.splice(0, problems.length, ...problems.filter((p) => !p.includes('status of 410')));
    await expectResultPage(confirmPage, problems, 'This link was already used');
    await confirmPage.close();
  });

  it('offers a pre-selected component on a component page and following an active incident on its page', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${server.url}/components/api/`);
    expect(await page.getByLabel('Only Public API').isChecked()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.goto(`${server.url}/incidents/${incidentId}/`);
    expect(await page.getByRole('heading', { name: 'Follow this incident' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Email address').fill('follower@example.com');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expectResultPage(page, problems, 'Check your inbox');
    await waitFor('the confirmation email', () =>
      stub.delivered.some((e) => e.to[0] === 'follower@example.com'),
    );
    const email = stub.delivered.find((e) => e.to[0] === 'follower@example.com')!;
    expect(email.text).toContain('the incident “Slow API responses”');
    await page.close();
  });

  it('shows a clear page, in the site’s look, for a bad address', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${server.url}/`);
    // The browser's own check would stop "x@y"; a client without it reaches the API.
    await page.evaluate("document.querySelector('input[type=email]').type = 'text'");
    await page.getByLabel('Email address').fill('not-an-address');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    expect(await page.locator('h1').innerText()).toBe('That did not work');
    expect(await page.locator('main').innerText()).toContain(
      'The email address must look like name@example.com.',
    );
    expect(await problemsInEveryLook(page)).toEqual([]);
    expect(problems.filter((p) => !p.includes('422'))).toEqual([]);
    await page.close();
  });
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { expect } from 'vitest';
import { REPO_ROOT } from './harness.ts';

/**
 * What every browser test checks on a public page, in one place: console errors, requests that
 * leave the server's host, Content-Security-Policy violations, layout shifts, and axe at the two
 * widths and two colour schemes the site is reviewed at.
 */

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Screenshots land in the git-ignored test-results/; `npm run screenshots` copies them to docs/. */
export const SCREENSHOTS = join(REPO_ROOT, 'test-results/screenshots');

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface Look {
  viewport: { width: number; height: number };
  colorScheme: 'light' | 'dark';
}

/** The four ways the site is reviewed: 1280 and 390 px, light and dark. */
export const EVERY_LOOK: Look[] = [DESKTOP, PHONE].flatMap((viewport) =>
  (['light', 'dark'] as const).map((colorScheme) => ({ viewport, colorScheme })),
);

export const describeLook = (look: Look) => `${look.viewport.width} px ${look.colorScheme}`;

/**
 * Records, from before the page's first byte, every CSP violation and every layout shift not
 * caused by the reader's own input (with the nodes that moved, to say what shifted).
 */
const RECORDER = `
  globalThis.cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    globalThis.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample));
  globalThis.layoutShifts = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      const moved = entry.sources.map((s) => {
        const n = s.node;
        if (!n) return '?';
        const e = n.nodeType === 1 ? n : n.parentElement;
        const r = (q) => Math.round(q.x) + ',' + Math.round(q.y) + ' ' + Math.round(q.width) + 'x' + Math.round(q.height);
        return (e ? e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + (e.id ? '#' + e.id : '') : '#text')
          + ' "' + (n.textContent || '').trim().slice(0, 40) + '" ' + r(s.previousRect) + ' -> ' + r(s.currentRect)
          + ' at ' + Math.round(entry.startTime) + ' ms';
      });
      globalThis.layoutShifts.push({ value: entry.value, moved });
    }
  }).observe({ type: 'layout-shift', buffered: true });
`;

export interface CheckedPage {
  page: Page;
  /** Asserts nothing went wrong so far: no console error, foreign request or CSP violation. */
  checks(): Promise<void>;
  /** The layout shifts so far, each with what moved. */
  layoutShifts(): Promise<Array<{ value: number; moved: string[] }>>;
  close(): Promise<void>;
}

export interface OpenOptions extends BrowserContextOptions {
  /** The HTTP status the page is expected to answer with (200 unless told). */
  status?: number;
  /** A script run before the page's own (to stub a browser API). */
  initScript?: string;
  /** Console errors that are expected, such as Chromium's own line for a 404 or 410. */
  allowConsole?: RegExp;
}

/**
 * Opens `url` in a context of its own (1280 px, en-US unless told), recording console errors,
 * requests leaving the page's host and CSP violations from the first byte.
 */
export async function openChecked(
  browser: Browser,
  url: string,
  { status = 200, initScript, allowConsole, ...context }: OpenOptions = {},
): Promise<CheckedPage> {
  const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', ...context });
  const page = await ctx.newPage();
  if (initScript) await page.addInitScript(initScript);
  await page.addInitScript(RECORDER);
  const errors: string[] = [];
  const foreign: string[] = [];
  const host = new URL(url).host;
  page.on('console', (m) => {
    if (m.type() === 'error' && !allowConsole?.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    const target = new URL(r.url());
    if (target.protocol !== 'data:' && target.host !== host) foreign.push(r.url());
  });
  const response = await page.goto(url);
  expect(response?.status(), url).toBe(status);
  const scripted = context.javaScriptEnabled !== false;
  return {
    page,
    async checks() {
      expect(errors, page.url()).toEqual([]);
      expect(foreign, page.url()).toEqual([]);
      if (scripted)
        expect(await page.evaluate<string[]>('globalThis.cspViolations'), page.url()).toEqual([]);
    },
    layoutShifts: () => page.evaluate('globalThis.layoutShifts'),
    close: () => ctx.close(),
  };
}

/** axe's serious and critical findings (WCAG 2.1 A and AA, and best practice) on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP rightly refuses a script tag.
  if (!(await page.evaluate<boolean>("typeof globalThis.axe === 'object'")))
    await page.evaluate(AXE);
  const results = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (o: unknown) => Promise<{
            violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>;
          }>;
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
    .map(
      (v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`,
    );
}

/**
 * Checks the page in every look (1280 and 390 px, light and dark), switching the viewport and the
 * colour scheme in place: axe finds nothing serious, and nothing is wider than the screen (WCAG
 * 1.4.10, reflow). Returns the problems, each naming the page and the look, so one assertion
 * reports them all.
 */
export async function problemsInEveryLook(page: Page, looks = EVERY_LOOK): Promise<string[]> {
  const problems: string[] = [];
  for (const look of looks) {
    await page.setViewportSize(look.viewport);
    await page.emulateMedia({ colorScheme: look.colorScheme });
    const where = `${new URL(page.url()).pathname} at ${describeLook(look)}`;
    const scheme = await page.evaluate<boolean>(
      `matchMedia('(prefers-color-scheme: ${look.colorScheme})').matches`,
    );
    if (!scheme) problems.push(`${where}: the colour scheme did not switch`);
    for (const violation of await seriousViolations(page)) problems.push(`${where}: ${violation}`);
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    if (overflow > 0) problems.push(`${where}: ${overflow} px wider than the screen`);
  }
  return problems;
}

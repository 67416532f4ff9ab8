import { existsSync } from 'node:fs';
import { chromium as playwright, type Browser } from 'playwright-core';

/** Where a Debian (or Ubuntu) system Chromium lives. */
const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/**
 * Flags for a headless run on a machine with no network but loopback: without the
 * background-networking ones, Chromium keeps trying to reach Google's hosts.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // Links to the public site URL (site.yaml's, e.g. https://status.acme.example) are never looked up.
  '--dns-prefetch-disable',
];

export interface ChosenBrowser {
  executablePath: string;
  /** Which browser it is, for the test's output. */
  label: string;
}

/**
 * The browser the tests drive: `HERALD_CHROMIUM` when set, else the system Chromium when there is
 * one, else the Chromium that the `@sparticuz/chromium` npm package ships (unpacked to the temp
 * directory at first use), so `npm install && npm test` needs no browser on the machine.
 */
export async function chooseBrowser(env = process.env): Promise<ChosenBrowser> {
  const configured = env.HERALD_CHROMIUM;
  if (configured) {
    if (!existsSync(configured))
      throw new Error(`HERALD_CHROMIUM is ${configured}, but there is no file there`);
    return { executablePath: configured, label: `HERALD_CHROMIUM (${configured})` };
  }
  if (existsSync(SYSTEM_CHROMIUM))
    return { executablePath: SYSTEM_CHROMIUM, label: `system Chromium (${SYSTEM_CHROMIUM})` };
  const { default: packaged } = await import('@sparticuz/chromium');
  const executablePath = await packaged.executablePath();
  return { executablePath, label: `@sparticuz/chromium from npm (${executablePath})` };
}

/** Launches the chosen browser headless and says in the test output which one it is. */
export async function launchBrowser(): Promise<Browser> {
  const chosen = await chooseBrowser();
  const browser = await playwright.launch({
    executablePath: chosen.executablePath,
    headless: true,
    args: FLAGS,
  });
  console.log(`browser: ${chosen.label}, version ${browser.version()}`);
  return browser;
}

import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUpdate } from '../../src/domain/incidents/add-update.ts';
import { declareIncident } from '../../src/domain/incidents/declare.ts';
import { createMaintenance } from '../../src/domain/maintenances/actions.ts';
import { PAGE_SCRIPT_FILE } from '../../src/publish/views/page-security.ts';
import { REPO_ROOT } from '../support/harness.ts';
import { createSiteHarness, type SiteHarness } from '../publish/site-support.ts';
import { xmlProblems } from './strict-xml.ts';

const HOSTILE = '<script>alert(1)</script> "><img src=x onerror=alert(2)> ]]> \u0001\u001b end';
const CLEANED = '<script>alert(1)</script> "><img src=x onerror=alert(2)> ]]>  end';
/** An href with `&` and quotes: Astro 5 prints such http(s) URLs into attributes unescaped. */
const ATTRIBUTE_INJECTION =
  '[here](https://a.example/?a=1&b="autofocus="true"onfocus="alert`1`"x=")';

let h: SiteHarness;
let contentDir: string;
let injectionId: string;
let maintenanceId: string;

beforeAll(async () => {
  // A catalog whose component name is hostile, as a careless edit of components.yaml could make it.
  contentDir = mkdtempSync(join(tmpdir(), 'herald-hostile-content-'));
  cpSync(join(REPO_ROOT, 'content'), contentDir, { recursive: true });
  const catalog = readFileSync(join(contentDir, 'components.yaml'), 'utf8').replace(
    'name: Checkout',
    `name: ${JSON.stringify(HOSTILE)
      .replace(/\\u0001/g, '\\x01')
      .replace(/\\u001b/g, '\\e')}`,
  );
  writeFileSync(join(contentDir, 'components.yaml'), catalog);
  h = await createSiteHarness({ contentDir });
  expect(h.content.catalog.byId.get('checkout')!.name).toBe(HOSTILE);
  // The API refuses control characters with 422; the domain functions are the way in for this test.
  const ctx = {
    db: h.db,
    content: h.content,
    now: h.clock.now,
    onChange: (c: Parameters<NonNullable<typeof h.publisher.onChange>>[0]) =>
      h.publisher.onChange!(c),
  };
  const actor = { id: 'test', name: 'Test' };
  const incident = await declareIncident(ctx, actor, {
    title: `Title ${HOSTILE}`,
    severity: 'SEV3',
    message: `Message ${HOSTILE}\n\n[label ${HOSTILE}](https://acme.example/"><script>x</script>)`,
    components: [{ id: 'checkout', status: 'major_outage' }],
  });
  h.clock.advance(60_000);
  await addUpdate(ctx, actor, incident.id, { status: 'identified', message: `Second ${HOSTILE}` });
  injectionId = (
    await declareIncident(ctx, actor, {
      title: 'Link check',
      severity: 'SEV4',
      message: `Details ${ATTRIBUTE_INJECTION}`,
    })
  ).id;
  maintenanceId = (
    await createMaintenance({ ...ctx, onChange: () => undefined }, actor, {
      title: `Window ${HOSTILE}, with; commas\\`,
      message: `Plan ${HOSTILE}\n\nSecond line`,
      components: ['checkout'],
      scheduled_for: new Date(h.clock.now().getTime() + 3_600_000).toISOString(),
      scheduled_until: new Date(h.clock.now().getTime() + 7_200_000).toISOString(),
      notify: { scheduled: true, reminder: true, started: true, completed: true },
      auto_start: true,
      auto_complete: true,
    })
  ).id;
  await h.publisher.idle();
  await h.publisher.fullExport();
});

afterAll(async () => {
  await h?.close();
  rmSync(contentDir, { recursive: true, force: true });
});

describe('hostile text in titles, messages and component names', () => {
  it('is escaped in every HTML page', async () => {
    const pages = (await h.files()).filter((f) => f.file.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(10);
    let sawEscaped = false;
    for (const { file, text } of pages) {
      // Inside a quoted attribute value only `"` and `&` matter (Astro escapes both); outside of
      // attribute values, no injected tag may appear.
      // The one image is the site's logo from site.yaml, first thing in the header's brand link.
      const markup = text
        .replace(/="[^"]*"/g, '=""')
        .replace(
          '<a class="" href=""><img src="" alt="" width="" height="">',
          '<a class="" href="">',
        );
      expect(markup, file).not.toMatch(/<img/i);
      // The only script is the page's own enhancement.
      expect(markup.match(/<script/g)?.length ?? 0, file).toBe(1);
      expect(markup, file).not.toContain('<script>alert');
      // No tag carries an attribute that a message or name smuggled in.
      for (const tag of markup.match(/<[a-z][^>]*>/gi) ?? [])
        expect(tag, file).not.toMatch(/[\s"](?:autofocus|on[a-z]+)=/i);
      expect(text.includes('\u0001') || text.includes('\u001b'), file).toBe(false);
      if (text.includes('&lt;script&gt;alert(1)&lt;/script&gt;')) sawEscaped = true;
    }
    expect(sawEscaped).toBe(true);
    const index = await h.read('index.html');
    expect(index).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt; ]]&gt;');
    expect(index).toContain(`href="/maintenances/${maintenanceId}/"`);
    const maintenance = await h.read(`maintenances/${maintenanceId}/index.html`);
    expect(maintenance).toContain('Plan &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('is escaped in every calendar: CRLF lines of at most 75 octets, TEXT escaped, no control characters', async () => {
    const calendars = (await h.files()).filter((f) => f.file.endsWith('.ics'));
    expect(calendars.map((f) => f.file)).toEqual(
      expect.arrayContaining(['maintenance.ics', 'components/checkout/maintenance.ics']),
    );
    for (const { file, text } of calendars) {
      expect(text.replace(/\r\n/g, ''), file).not.toMatch(/[\r\n]/);
      for (const line of text.split('\r\n'))
        expect(Buffer.byteLength(line), file).toBeLessThanOrEqual(75);
      // eslint-disable-next-line no-control-regex
      expect(text.replace(/\r\n/g, ''), file).not.toMatch(/[\u0000-\u001f]/);
    }
    const unfolded = (await h.read('maintenance.ics')).replace(/\r\n[ \t]/g, '');
    const summary = unfolded.split('\r\n').find((l) => l.startsWith('SUMMARY:'))!;
    expect(summary).toBe(
      'SUMMARY:Maintenance: Window <script>alert(1)</script> "><img src=x onerror=alert(2)> ]]>  end\\, with\\; commas\\\\',
    );
    const description = unfolded.split('\r\n').find((l) => l.startsWith('DESCRIPTION:'))!;
    expect(description).toContain('Plan <script>alert(1)</script>');
    expect(description).toContain('\\n\\nSecond line');
  });

  it('keeps quotes out of link addresses, so no attribute can be injected', async () => {
    for (const file of ['index.html', `incidents/${injectionId}/index.html`]) {
      const page = await h.read(file);
      const links = page.match(/<a [^>]*a\.example[^>]*>/g) ?? [];
      expect(links.length, file).toBeGreaterThan(0);
      for (const link of links)
        expect(link, file).toMatch(/^<a href="[^"]*" rel="nofollow noopener">$/);
      // The rest of the payload is plain text.
      expect(page, file).toContain('&quot;autofocus=&quot;true&quot;onfocus=&quot;alert`1`');
    }
  });

  it("allows only the site's own scripts in the Content-Security-Policy of every page, and runs none inline", async () => {
    const pages = (await h.files()).filter((f) => f.file.endsWith('.html'));
    expect(pages.length).toBeGreaterThan(3);
    const script = await h.read(PAGE_SCRIPT_FILE);
    // Named by its content's hash, so it can be cached for good.
    const hash = createHash('sha256').update(script).digest('hex').slice(0, 12);
    expect(PAGE_SCRIPT_FILE).toBe(`assets/page-${hash}.js`);
    for (const { file, text } of pages) {
      const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(text)?.[1];
      expect(policy, file).toMatch(/script-src 'self'(;|$)/);
      expect(policy, file).toContain("default-src 'self'");
      // The one script, in <head> (it writes the reader's times as the body is parsed), a file.
      // Attribute values out of the way (hostile text is quoted there, `"` escaped), so only
      // elements are matched.
      const markup = text.replace(/"[^"]*"/g, (value) => (value.includes('<') ? '""' : value));
      const scripts = [...markup.matchAll(/<script\b[^>]*>([^<]*)<\/script>/g)];
      expect(
        scripts.map((m) => m[0]),
        file,
      ).toEqual([`<script id="page-script" src="/${PAGE_SCRIPT_FILE}"></script>`]);
      expect(scripts[0]!.index, file).toBeLessThan(markup.indexOf('</head>'));
      // Styles come from the build's stylesheets, which are published beside the pages.
      expect(markup, file).not.toContain('<style');
      const sheets = [...text.matchAll(/<link rel="stylesheet" href="\/(_astro\/[^"]+\.css)"/g)];
      expect(sheets.length, file).toBeGreaterThan(0);
      for (const [, sheet] of sheets)
        expect((await h.read(sheet!)).length, sheet).toBeGreaterThan(100);
    }
  });

  it('leaves every feed well-formed XML', async () => {
    const feeds = (await h.files()).filter((f) => f.file.endsWith('.rss'));
    expect(feeds.map((f) => f.file)).toContain('components/checkout/history.rss');
    for (const { file, text } of feeds) expect(xmlProblems(text), file).toEqual([]);
    const feed = await h.read('history.rss');
    // Titles and descriptions are HTML-escaped inside CDATA, so readers that render them as HTML
    // show the text instead of running it.
    expect(feed).toContain('Identified: Title &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(feed).not.toMatch(/<img|<script>/);
  });

  it('leaves every Atom feed well-formed XML, the text escaped, components as categories', async () => {
    const feeds = (await h.files()).filter((f) => f.file.endsWith('.atom'));
    expect(feeds.map((f) => f.file)).toEqual(
      expect.arrayContaining(['history.atom', 'components/checkout/history.atom']),
    );
    for (const { file, text } of feeds) expect(xmlProblems(text), file).toEqual([]);
    const feed = await h.read('history.atom');
    expect(feed).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(feed).toContain('Identified: Title &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(feed).toContain('<category term="checkout" label="&lt;script&gt;alert(1)');
    expect(feed).toMatch(
      /<link rel="alternate" type="text\/html" href="[^"]+\/incidents\/[^/]+\/#update-/,
    );
    expect(feed).not.toMatch(/<img|<script>/);
  });

  it('keeps every JSON document valid, with the text as data', async () => {
    const documents = (await h.files()).filter((f) => f.file.endsWith('.json'));
    expect(documents).toHaveLength(8);
    const maintenances = JSON.parse(await h.read('api/v2/scheduled-maintenances.json'));
    expect(maintenances.scheduled_maintenances[0].name).toBe(`Window ${CLEANED}, with; commas\\`);
    for (const { text } of documents) expect(() => JSON.parse(text)).not.toThrow();
    const summary = JSON.parse(await h.read('api/v2/summary.json'));
    const hostile = summary.incidents.find((i: { id: string }) => i.id !== injectionId);
    expect(hostile.name).toBe(`Title ${CLEANED}`);
    expect(summary.components.find((c: { id: string }) => c.id === 'checkout').name).toBe(CLEANED);
    expect(hostile.incident_updates[0].body).toBe(`Second ${CLEANED}`);
  });
});

// Another instance on the same database changes incidents without telling this publisher: its
// poll must find those changes and publish them, including withdrawing an incident made private.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentContext } from '../../src/domain/incidents/context.ts';
import { declareIncident } from '../../src/domain/incidents/declare.ts';
import { editIncident } from '../../src/domain/incidents/edit.ts';
import { createSiteHarness, type SiteHarness } from './site-support.ts';

let h: SiteHarness;
let otherInstance: IncidentContext;
const actor = { id: 'other-instance-key', name: 'Other instance' };

beforeAll(async () => {
  h = await createSiteHarness({ publisher: { pollMs: 50 } });
  // The same database and content, but changes are announced to nobody in this process.
  otherInstance = { db: h.db, content: h.content, now: h.clock.now, onChange: () => undefined };
});
afterAll(() => h?.close());

async function siteMentions(text: string): Promise<boolean> {
  return (await h.files()).some((f) => f.text.includes(text));
}

describe('changes made by another instance', () => {
  it('reach the site through the poll, and an incident made private is withdrawn everywhere', async () => {
    const title = 'Declared-elsewhere-7f3a9c';
    h.clock.advance(1000);
    const incident = await declareIncident(otherInstance, actor, {
      title,
      severity: 'SEV4',
      message: 'Posted through another server.',
      components: [{ id: 'api', status: 'degraded_performance' }],
    });
    await expect.poll(() => siteMentions(title), { timeout: 10_000, interval: 50 }).toBe(true);
    // The incident's own page is written first; the rest of that publish follows.
    await h.publisher.idle();
    expect(await h.read(`incidents/${incident.id}/index.html`)).toContain(title);
    expect(await h.read('history.rss')).toContain(title);

    h.clock.advance(1000);
    await editIncident(otherInstance, actor, incident.id, { visibility: 'private' }, null);
    await expect
      .poll(async () => (await siteMentions(title)) || (await siteMentions(incident.id)), {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(false);
  });
});
